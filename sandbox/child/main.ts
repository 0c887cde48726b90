// Entry of a sandbox child process (started by SandboxProcess, inside the OS sandbox, with
// --no-node-snapshot, SPEC §9.3). Isolates live here, never in the API process.
import "./supported-node.ts";
import { seccompStatus } from "../os-sandbox/child-prologue.ts";
import { MessageBatcher } from "../message-batcher.ts";
import type { ChildMessage, ParentMessage } from "../protocol.ts";
import { sandboxEngine } from "./engine-report.ts";
import { SandboxChild } from "./sandbox-child.ts";

let child: SandboxChild | null = null;

const outbox = new MessageBatcher<ChildMessage>((batch) => {
  if (process.connected) process.send!(batch);
});
const send = (msg: ChildMessage): void => outbox.send(msg);

process.on("message", (raw) => {
  for (const msg of raw as ParentMessage[]) {
    if (msg.t === "init") {
      child = new SandboxChild(msg.options, msg.prelude, msg.isolatesCap, send);
      child.start();
      send({ t: "ready", pid: process.pid, engine: sandboxEngine(), seccomp: seccompStatus });
      continue;
    }
    child?.handle(msg);
  }
});

// The parent going away ends this process: isolates never outlive their host.
process.on("disconnect", () => {
  void (child?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
