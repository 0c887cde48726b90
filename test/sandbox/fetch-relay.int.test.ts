// The fetch relay: the host carries out a walled child's fetches. A plugin that reads a
// big body slowly makes the host read it slowly too (credit per chunk, nothing piles up
// in the host or the IPC channel), and the host answers only for calls and folders it
// knows: it is the connecting side, so what a sandbox process says is not trusted.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FetchBridge } from "../../sandbox/bridge/fetch-bridge.ts";
import { HostDoors } from "../../sandbox/host-doors.ts";
import { FetchOptionsSchema } from "../../sandbox/options.ts";
import { PackageOrigins } from "../../sandbox/package-files.ts";
import type { ParentMessage } from "../../sandbox/protocol.ts";
import { pluginSource, SandboxHarness } from "./plugin-fixture.ts";

const BODY_BYTES = 64 * 1024 * 1024;
let server: Server;
let origin: string;
let written = 0;

beforeAll(async () => {
  // Writes as fast as the connection drains, and counts what it got rid of.
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-length": String(BODY_BYTES) });
    const chunk = Buffer.alloc(64 * 1024, 120);
    const pump = () => {
      while (written < BODY_BYTES) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => server?.close());

describe("the fetch relay", () => {
  it("reads an upstream body only as fast as the plugin does", async () => {
    const h = new SandboxHarness({ processes: 1, timeout_ms: 10_000, fetch: { allow_private_origins: [origin], max_response_bytes: BODY_BYTES, timeout_ms: 10_000 } });
    await h.start();
    try {
      const target = await h.install(
        "slow_reader",
        pluginSource(`slow: defineTool({ run: async () => {
          const res = await fetch(${JSON.stringify(origin)});
          const reader = res.body.getReader();
          const first = await reader.read();
          await new Promise((r) => setTimeout(r, 4000));
          await reader.cancel();
          return first.value.length;
        } })`),
        [origin],
      );
      const before = written;
      const call = h.call(target, "P", "slow");
      await new Promise((r) => setTimeout(r, 3800));
      const whileWaiting = written - before;
      expect((await call).value).toBeGreaterThan(0);
      // A few credit windows and socket buffers, not the 64 MB the upstream would send.
      expect(whileWaiting).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await h.stop();
    }
  });

  it("answers a sandbox process only for the calls and package folders the host sent it", async () => {
    const sent: ParentMessage[] = [];
    const bridge = new FetchBridge(FetchOptionsSchema.parse({ allow_private_origins: [origin] }));
    const doors = new HostDoors({ bridge, origins: new PackageOrigins() }, (m) => sent.push(m));
    try {
      doors.handle({ t: "files_get", rid: 1, dir: "/etc" });
      // A fetch said to belong to a call the host never sent: no package origins apply.
      doors.handle({ t: "fetch", fid: 1, id: 4242, payload: JSON.stringify({ url: `${origin}/`, method: "GET", headers: [], body: null, redirect: "follow" }) });
      await new Promise((r) => setTimeout(r, 200));
      expect(sent).toContainEqual(expect.objectContaining({ t: "files_error", rid: 1, error: expect.objectContaining({ code: "PackageNotFound" }) }));
      expect(sent).toContainEqual(expect.objectContaining({ t: "fetch_error", fid: 1, error: expect.objectContaining({ code: "FetchDenied" }) }));
      expect(sent.some((m) => m.t === "fetch_head")).toBe(false);
    } finally {
      doors.close();
      await bridge.close();
    }
  });
});
