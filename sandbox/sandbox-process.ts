// One supervised sandbox child process: forks it, tracks the requests in flight on
// it, turns its death into errors for exactly those requests (ToolMemoryLimit when it
// died of memory, Internal otherwise), and restarts it with backoff.
import { fork, spawn, type ChildProcess } from "node:child_process";
import { RuntimeError } from "./errors.ts";
import type { SandboxOptions } from "./options.ts";
import { MessageBatcher } from "./message-batcher.ts";
import { FATAL_MARKER, type ChildMessage, type LogLevel, type ParentMessage } from "./protocol.ts";
import { forChild, HostDoors, isDoorMessage, type HostDoorsContext } from "./host-doors.ts";
import type { SandboxProcessHealth } from "./sandbox-api.ts";
import { osSandboxLaunch, type OsSandboxPlan } from "./os-sandbox/index.ts";

export interface InFlight {
  onMessage(msg: ChildMessage): boolean; // true when the request is complete
  onDeath(err: RuntimeError): void;
  /** The plugin's own log lines of this call (they go to the host log as well). */
  onLog?(level: LogLevel, msg: string): void;
}

export interface SandboxProcessConfig {
  entry: string;
  prelude: string;
  options: SandboxOptions;
  isolatesCap: number;
  /** The OS sandbox layers each start of the child is wrapped in. */
  plan: OsSandboxPlan;
  /** The fetch bridge and package origins the host answers this child's doors with. */
  doors: HostDoorsContext;
  onLog(msg: Extract<ChildMessage, { t: "log" }>): void;
  onExit(info: { pid: number | null; code: number | null; signal: string | null; memory: boolean }): void;
}

const MEMORY_DEATH = /(HIAGENT_SANDBOX_FATAL memory|heap out of memory|Reached heap limit|Allocation failed)/;

export class SandboxProcess {
  private child: ChildProcess | null = null;
  private batcher: MessageBatcher<ParentMessage> | null = null;
  private doors: HostDoors | null = null;
  private readyPromise: Promise<void> | null = null;
  private readonly inFlight = new Map<number, InFlight>();
  private stderrTail = "";
  private fatalSeen = false;
  private closing = false;
  private crashStreak = 0;
  state: SandboxProcessHealth["state"] = "down";
  restarts = 0;
  warm = 0;
  /** `name@version` of the packages with a spare ready in this process, as last reported. */
  spares: string[] = [];
  engine: SandboxProcessHealth["engine"] = null;
  /** Why the child did not load its seccomp filter (null: it did); undefined until ready. */
  seccomp: string | null | undefined = undefined;

  constructor(private readonly config: SandboxProcessConfig) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get load(): number {
    return this.inFlight.size;
  }

  start(): Promise<void> {
    if (this.readyPromise) return this.readyPromise;
    this.state = "starting";
    const { options } = this.config;
    const child = this.spawnChild();
    this.child = child;
    const batcher = new MessageBatcher<ParentMessage>((batch) => {
      if (child.connected) child.send(batch);
    });
    this.batcher = batcher;
    this.doors?.close();
    this.doors = new HostDoors(this.config.doors, (msg) => batcher.send(msg));
    this.stderrTail = "";
    this.fatalSeen = false;
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (text: string) => {
      const dying = this.fatalSeen;
      if (text.includes(FATAL_MARKER)) this.fatalSeen = true;
      this.stderrTail = (this.stderrTail + text).slice(-4096);
      // After the fatal marker comes V8's native stack of the dying process: the pool
      // logs the death once, so that dump stays out of the host's stderr.
      if (!dying && !text.includes(FATAL_MARKER)) process.stderr.write(text);
    });
    this.readyPromise = new Promise<void>((resolve, reject) => {
      const onMessage = (batch: ChildMessage[]) => {
        for (const msg of batch) {
          if (msg.t === "ready") {
            this.state = "ok";
            this.engine = msg.engine;
            this.seccomp = msg.seccomp;
            resolve();
            continue;
          }
          this.route(msg);
        }
      };
      child.on("message", onMessage);
      child.once("exit", (code, signal) => {
        reject(new RuntimeError("Internal", "sandbox process failed to start"));
        this.died(child, code, signal);
      });
      child.once("error", (err) => reject(RuntimeError.from(err)));
      const init: ParentMessage = { t: "init", options, prelude: this.config.prelude, isolatesCap: this.config.isolatesCap };
      child.send([init]);
    });
    this.readyPromise.catch(() => undefined);
    return this.readyPromise;
  }

  /** Forks the child as before when the wall is off; else starts it inside the wall. */
  private spawnChild(): ChildProcess {
    const { plan, options, entry } = this.config;
    const execArgv = ["--no-node-snapshot", `--max-old-space-size=${options.process_heap_mb}`];
    const env = { NODE_ENV: process.env.NODE_ENV ?? "production" };
    if (plan.mode === "off") return fork(entry, [], { execArgv, stdio: ["ignore", "inherit", "pipe", "ipc"], serialization: "json", env });
    const launch = osSandboxLaunch(plan, { entry, execArgv, env });
    try {
      return spawn(launch.command, launch.args, { stdio: launch.stdio, serialization: "json", env: launch.env });
    } finally {
      launch.done();
    }
  }

  /** The layers in force around this process, for health. */
  osSandbox(): SandboxProcessHealth["os_sandbox"] {
    const { plan } = this.config;
    const layers = [...plan.layers];
    const missing = plan.missing.map((m) => ({ ...m }));
    if (this.seccomp !== undefined && this.seccomp !== null && layers.includes("seccomp")) {
      layers.splice(layers.indexOf("seccomp"), 1);
      missing.push({ layer: "seccomp", reason: this.seccomp });
    }
    return { mode: plan.mode, layers, missing };
  }

  /** Sends a request; `handler` sees its replies until it says it is complete. */
  async request(id: number, msg: ParentMessage, handler: InFlight): Promise<void> {
    await this.start();
    const child = this.child;
    if (!child || !child.connected) throw new RuntimeError("Internal", "sandbox process is not running");
    this.inFlight.set(id, handler);
    this.doors?.sent(msg);
    this.batcher!.send(forChild(msg));
  }

  /** Fire-and-forget messages (cancel, credit) for a request in flight. */
  notify(msg: ParentMessage): void {
    if (!this.child?.connected) return;
    this.doors?.sent(msg);
    this.batcher?.send(msg);
  }

  private route(msg: ChildMessage): void {
    if (msg.t === "log") {
      this.config.onLog(msg);
      if (msg.call !== undefined) this.inFlight.get(msg.call)?.onLog?.(msg.level, msg.msg);
      return;
    }
    if (msg.t === "ready") return;
    if (isDoorMessage(msg)) {
      this.doors?.handle(msg);
      return;
    }
    const handler = this.inFlight.get(msg.id);
    if (!handler) return;
    if (handler.onMessage(msg)) {
      this.inFlight.delete(msg.id);
      this.doors?.callEnded(msg.id);
    }
    if (msg.t === "result" || msg.t === "error" || msg.t === "end") this.crashStreak = 0;
  }

  private died(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    const memory = this.fatalSeen || MEMORY_DEATH.test(this.stderrTail);
    if (!this.closing) this.config.onExit({ pid: child.pid ?? null, code, signal, memory });
    this.child = null;
    this.doors?.close();
    this.doors = null;
    this.readyPromise = null;
    this.state = "down";
    this.warm = 0;
    this.spares = [];
    const err = memory
      ? new RuntimeError("ToolMemoryLimit", "a plugin exhausted the sandbox process's memory; the process was restarted")
      : new RuntimeError("Internal", `sandbox process exited unexpectedly (${signal ?? `code ${code}`}); it was restarted`);
    const pending = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const h of pending) h.onDeath(err);
    if (this.closing) return;
    this.restarts++;
    this.crashStreak++;
    const delay = Math.min(5000, 50 * 2 ** Math.min(this.crashStreak - 1, 7));
    setTimeout(() => {
      if (!this.closing) this.start().catch(() => undefined);
    }, delay).unref();
  }

  async close(): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.disconnect?.();
    const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
    await exited;
    clearTimeout(timer);
  }

  /** For tests and chaos drills: kill the process as the OS would. */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    this.child?.kill(signal);
  }
}
