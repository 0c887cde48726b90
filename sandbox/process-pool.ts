// SandboxProcessPool: the host's handle on the sandbox. Calls are routed to a fixed
// child per tenant + package + version (so its isolate stays warm there), admitted
// per tenant, and answered as JSON text; streams are relayed with credit-based
// backpressure so a slow consumer never makes anything buffer without bound.
import { randomUUID } from "node:crypto";
import { sep } from "node:path";
import { FetchBridge } from "./bridge/fetch-bridge.ts";
import { RuntimeError } from "./errors.ts";
import { PackageOrigins } from "./package-files.ts";
import { describeMissing, detectOsSandbox } from "./os-sandbox/index.ts";
import type { SandboxOptions } from "./options.ts";
import type { ChildMessage, ParentMessage } from "./protocol.ts";
import type {
  BundleSource,
  CallUsage,
  EgressListener,
  EgressReport,
  InspectResult,
  PackageTarget,
  Sandbox,
  SandboxHealth,
  ToolCall,
  ToolResult,
  ToolStream,
  ValidateCall,
} from "./sandbox-api.ts";
import { checkSecretFields } from "./bridge/secret-fields.ts";
import { CallSecretMinter } from "./call-secrets.ts";
import { buildChildEntry, buildPrelude } from "./sandbox-build.ts";
import { SandboxProcess } from "./sandbox-process.ts";
import { ChunkStream } from "./chunk-stream.ts";
import { TenantGate } from "./tenant-gate.ts";

/** The subset of a pino logger the sandbox writes to. */
export interface SandboxLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const silentLogger: SandboxLogger = { debug() {}, info() {}, warn() {}, error() {} };

const STATS_INTERVAL_MS = 5_000;

export const EMPTY_USAGE: CallUsage = { cpu_ms: 0, wall_ms: 0, heap_peak_bytes: 0, wasm_memory_bytes: 0, fetch_count: 0, fetch_bytes: 0 };

function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class SandboxProcessPool implements Sandbox {
  private readonly processes: SandboxProcess[] = [];
  private readonly gate: TenantGate;
  private readonly secrets: CallSecretMinter;
  private nextId = 1;
  private rr = 0;
  private started: Promise<void> | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  /** Plugins' fetches are carried out here, in the host: the children have no network. */
  private readonly fetchBridge: FetchBridge;
  private readonly origins = new PackageOrigins();
  private readonly egressListeners: EgressListener[] = [];

  constructor(
    private readonly options: SandboxOptions,
    private readonly logger: SandboxLogger = silentLogger,
  ) {
    this.gate = new TenantGate(options.tenant_max_concurrent, options.tenant_max_queued);
    this.fetchBridge = new FetchBridge(options.fetch);
    this.secrets = new CallSecretMinter(options.allow_exposed_secrets);
  }

  start(): Promise<void> {
    this.started ??= (async () => {
      const [prelude, entry, plan] = await Promise.all([
        buildPrelude(),
        buildChildEntry(),
        detectOsSandbox(this.options.os_sandbox, this.options.os_sandbox_tools),
      ]);
      if (plan.mode === "required" && plan.missing.length > 0) {
        throw new RuntimeError("Internal", `sandbox.os_sandbox is required, but this machine cannot set up: ${describeMissing(plan.missing)}`);
      }
      if (plan.missing.length > 0) {
        this.logger.warn({ os_sandbox: { layers: plan.layers, missing: plan.missing } }, `sandbox processes run without these OS sandbox layers: ${describeMissing(plan.missing)}`);
      }
      const isolatesCap = Math.max(1, Math.ceil(this.options.max_isolates / this.options.processes));
      for (let i = 0; i < this.options.processes; i++) {
        this.processes.push(
          new SandboxProcess({
            entry,
            prelude,
            options: this.options,
            isolatesCap,
            plan,
            doors: { bridge: this.fetchBridge, origins: this.origins },
            onLog: (m) => {
              this.logger[m.level](m.fields, m.msg);
              if (m.fields.source === "fetch" && this.egressListeners.length > 0) this.reportEgress(m.fields);
            },
            onExit: (info) =>
              this.logger.error({ sandbox_pid: info.pid, code: info.code, signal: info.signal, memory: info.memory }, "sandbox process died; restarting it"),
          }),
        );
      }
      await Promise.all(this.processes.map((p) => p.start()));
      // The seccomp layer is loaded by each child itself: only its report says it is on.
      const unfiltered = this.processes.map((p) => p.seccomp).find((why) => typeof why === "string");
      if (plan.mode !== "off" && plan.layers.includes("seccomp") && unfiltered !== undefined) {
        if (plan.mode === "required") {
          await Promise.all(this.processes.map((p) => p.close()));
          throw new RuntimeError("Internal", `sandbox.os_sandbox is required, but this machine cannot set up: seccomp (${unfiltered})`);
        }
        this.logger.warn({ os_sandbox: { missing: [{ layer: "seccomp", reason: unfiltered }] } }, `sandbox processes run without these OS sandbox layers: seccomp (${unfiltered})`);
      }
      // Warm-isolate counts for health(), refreshed in the background.
      this.statsTimer = setInterval(() => void this.refreshStats(), STATS_INTERVAL_MS);
      this.statsTimer.unref();
    })();
    return this.started;
  }

  private pick(call: { tenant: string; pkg: string; version: string }): SandboxProcess {
    if (this.processes.length === 0) throw new RuntimeError("Internal", "sandbox is not started");
    return this.processes[hashKey(`${call.tenant}\u0000${call.pkg}\u0000${call.version}`) % this.processes.length]!;
  }

  /** The call: its cfg's secrets replaced by placeholders, their real values beside it for the host's doors. */
  private async callMessage(id: number, kind: "tool" | "stream" | "validate", call: ToolCall | ValidateCall): Promise<ParentMessage> {
    const { cfgJson, secrets } = await this.secrets.mint(call, call.plugin, call.cfgJson, kind === "validate" ? "PluginInvalidConfig" : "InvalidConfig");
    const message: ParentMessage = {
      t: "call",
      id,
      kind,
      target: { tenant: call.tenant, pkg: call.pkg, version: call.version, dir: call.dir, artifacts: call.artifacts },
      plugin: call.plugin,
      tool: "tool" in call ? call.tool : "",
      inputJson: "inputJson" in call ? call.inputJson : "{}",
      cfgJson,
      requestId: call.requestId ?? randomUUID(),
      ...(secrets.size > 0 ? { secrets: [...secrets.pairs] } : {}),
    };
    return message;
  }

  /** A request/response call (tool or validate) under the tenant gate. */
  private async exchange(kind: "tool" | "validate", call: ToolCall | ValidateCall): Promise<ToolResult> {
    await this.start();
    const id = this.nextId++;
    const message = await this.callMessage(id, kind, call);
    const release = await this.gate.enter(call.tenant, call.signal);
    try {
      const proc = this.pick(call);
      return await new Promise<ToolResult>((resolve, reject) => {
        const onAbort = () => {
          proc.notify({ t: "cancel", id, reason: "client" });
          reject(new RuntimeError("ToolError", "the call was canceled by the client"));
        };
        if (call.signal?.aborted) return onAbort();
        call.signal?.addEventListener("abort", onAbort, { once: true });
        const done = () => call.signal?.removeEventListener("abort", onAbort);
        proc
          .request(id, message, {
            onMessage: (msg) => {
              if (msg.t === "result") {
                done();
                resolve({ json: msg.json, usage: msg.usage });
                return true;
              }
              if (msg.t === "error") {
                done();
                reject(withUsage(RuntimeError.fromBody(msg.error), msg.usage));
                return true;
              }
              return false;
            },
            onDeath: (err) => {
              done();
              reject(err);
            },
            ...("onLog" in call && call.onLog !== undefined ? { onLog: call.onLog } : {}),
          })
          .catch((err: unknown) => {
            done();
            reject(RuntimeError.from(err));
          });
      });
    } finally {
      release();
    }
  }

  runTool(call: ToolCall): Promise<ToolResult> {
    return this.exchange("tool", call);
  }

  async validate(call: ValidateCall): Promise<void> {
    await this.exchange("validate", call);
  }

  streamTool(call: ToolCall): ToolStream {
    const id = this.nextId++;
    let proc: SandboxProcess | null = null;
    let release: (() => void) | null = null;
    const finish = () => {
      release?.();
      release = null;
    };
    const stream = new ChunkStream({
      onConsumed: (n) => proc?.notify({ t: "credit", id, n }),
      onCancel: () => {
        proc?.notify({ t: "cancel", id, reason: "client" });
        finish();
      },
    });
    call.signal?.addEventListener("abort", () => stream.cancel(), { once: true });
    (async () => {
      await this.start();
      const message = await this.callMessage(id, "stream", call);
      release = await this.gate.enter(call.tenant, call.signal);
      if (stream.closed) return finish();
      proc = this.pick(call);
      await proc.request(id, message, {
        onMessage: (msg: ChildMessage) => {
          if (msg.t === "chunk") {
            stream.push(msg.json);
            return false;
          }
          if (msg.t === "end") {
            stream.end(msg.usage);
            finish();
            return true;
          }
          if (msg.t === "error") {
            stream.fail(withUsage(RuntimeError.fromBody(msg.error), msg.usage), msg.usage ?? EMPTY_USAGE);
            finish();
            return true;
          }
          return false;
        },
        onDeath: (err) => {
          stream.fail(err, EMPTY_USAGE);
          finish();
        },
        ...(call.onLog === undefined ? {} : { onLog: call.onLog }),
      });
    })().catch((err: unknown) => {
      stream.fail(RuntimeError.from(err), EMPTY_USAGE);
      finish();
    });
    return stream;
  }

  async inspect(bundle: BundleSource): Promise<InspectResult> {
    await this.start();
    const proc = this.processes[this.rr++ % this.processes.length]!;
    const id = this.nextId++;
    return new Promise<InspectResult>((resolve, reject) => {
      proc
        .request(id, { t: "inspect", id, pkg: bundle.pkg, version: bundle.version, code: bundle.code }, {
          onMessage: (msg) => {
            if (msg.t === "inspected") {
              try {
                checkSecretFields(msg.plugins, this.options.allow_exposed_secrets);
              } catch (err) {
                reject(err);
                return true;
              }
              resolve({ plugins: msg.plugins, codeCache: msg.codeCache ? Buffer.from(msg.codeCache, "base64") : null });
              return true;
            }
            if (msg.t === "error") {
              reject(RuntimeError.fromBody(msg.error));
              return true;
            }
            return false;
          },
          onDeath: (err) => reject(err.code === "ToolMemoryLimit" ? new RuntimeError("InvalidPackage", `evaluating the bundle exhausted the sandbox memory`) : err),
        })
        .catch(reject);
    });
  }

  async dropPackage(pkg: string, version: string): Promise<void> {
    this.origins.forget((dir) => dir.endsWith(`${sep}${pkg}${sep}${version}`));
    this.secrets.forget(pkg, version);
    if (!this.started) return;
    await this.start();
    await Promise.all(
      this.processes.map((proc) => {
        const id = this.nextId++;
        return new Promise<void>((resolve) => {
          proc
            .request(id, { t: "drop", id, pkg, version }, { onMessage: (m) => (m.t === "done" ? (resolve(), true) : false), onDeath: () => resolve() })
            .catch(() => resolve());
        });
      }),
    );
  }

  preparePackage(target: PackageTarget): void {
    if (!this.started || this.options.package_spares === 0) return;
    const { pkg, version, dir, artifacts } = target;
    for (const proc of this.processes) proc.notify({ t: "prepare", target: { pkg, version, dir, artifacts } });
  }

  /** Asks every child for its warm isolate count (kept for health()). */
  async refreshStats(): Promise<void> {
    await Promise.all(
      this.processes.map((proc) => {
        const id = this.nextId++;
        return new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          proc
            .request(id, { t: "stats", id }, {
              onMessage: (m) => {
                if (m.t !== "stats") return false;
                proc.warm = m.warm;
                proc.spares = m.spares;
                clearTimeout(timer);
                resolve();
                return true;
              },
              onDeath: () => resolve(),
            })
            .catch(() => resolve());
        });
      }),
    );
  }

  /** Calls `listener` with every plugin fetch once it ended (the children report each one in their fetch log line). */
  observeEgress(listener: EgressListener): void {
    this.egressListeners.push(listener);
  }

  private reportEgress(fields: Record<string, unknown>): void {
    const { origin, status, bytes, refused, code } = fields;
    if (typeof origin !== "string" || typeof bytes !== "number" || typeof refused !== "boolean") return;
    const report: EgressReport = { origin, status: typeof status === "number" ? status : null, bytes, refused, code: typeof code === "string" ? code : undefined };
    for (const listener of this.egressListeners) listener(report);
  }

  health(): SandboxHealth {
    const processes = this.processes.map((p) => ({
      pid: p.pid,
      state: p.state,
      engine: p.engine,
      os_sandbox: p.osSandbox(),
      warm_isolates: p.warm,
      package_spares: p.spares,
      in_flight: p.load,
      restarts: p.restarts,
    }));
    const up = processes.filter((p) => p.state === "ok").length;
    return { state: up === processes.length && up > 0 ? "ok" : up > 0 ? "degraded" : "down", processes };
  }

  /** For chaos tests: the pids of the sandbox processes. */
  pids(): (number | null)[] {
    return this.processes.map((p) => p.pid);
  }

  async close(): Promise<void> {
    if (this.statsTimer) clearInterval(this.statsTimer);
    await Promise.all(this.processes.map((p) => p.close()));
    await this.fetchBridge.close();
  }
}

function withUsage(err: RuntimeError, usage: CallUsage | undefined): RuntimeError {
  if (usage) Object.defineProperty(err, "usage", { value: usage, enumerable: false });
  return err;
}
