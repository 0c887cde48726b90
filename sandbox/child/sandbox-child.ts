// The work of one sandbox child process: runs calls in warm isolates, enforces each
// call's time limit with a watchdog that disposes the isolate (SPEC §9.4), relays
// stream chunks with credit-based backpressure, and answers inspect/drop/stats.
import { randomBytes } from "node:crypto";
import { RuntimeError } from "../errors.ts";
import type { SandboxOptions } from "../options.ts";
import type { ChildMessage, LogLevel, ParentMessage } from "../protocol.ts";
import type { CallUsage, PackageTarget } from "../sandbox-api.ts";
import { firstLocation } from "../source-map/stack-mapper.ts";
import { CallState } from "./call-state.ts";
import { HostLink } from "./host-link.ts";
import { HostOps } from "./host-ops.ts";
import { IsolateCache, tenantIsolateCap, type WarmIsolate } from "./isolate-cache.ts";
import { errorFromIsolate, errorFromIvm, PluginIsolate, PreludeSource, type IsolateHooks } from "./plugin-isolate.ts";

type CallMessage = Extract<ParentMessage, { t: "call" }>;
const CANCEL_GRACE_MS = 250;
const WATCHDOG_INTERVAL_MS = 20;
const COMPACT_INTERVAL_MS = 100;
const LOG_LEVELS = new Set<LogLevel>(["debug", "info", "warn", "error"]);

export class SandboxChild {
  private readonly calls = new Map<string, CallState>();
  private readonly byId = new Map<number, CallState>();
  private readonly cache: IsolateCache;
  private readonly prelude: PreludeSource;
  private readonly link: HostLink;
  private readonly ops: HostOps;
  private readonly hooks: IsolateHooks;
  private loads = 1;
  private watchdog: NodeJS.Timeout | null = null;
  private compactor: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: SandboxOptions,
    preludeCode: string,
    isolatesCap: number,
    private readonly send: (msg: ChildMessage) => void,
  ) {
    this.prelude = new PreludeSource(preludeCode);
    this.link = new HostLink(send);
    this.ops = new HostOps(this.link);
    this.hooks = {
      op: (kind, callId, payload) => {
        const call = this.calls.get(callId);
        if (!call || call.ended) return "!" + JSON.stringify({ code: "ToolError", message: "no call is running" });
        return this.ops.start(call, kind, payload);
      },
      log: (callId, level, text) => this.pluginLog(callId, level, text),
      emit: (callId, json) => this.emit(callId, json),
      random: (n) => randomBytes(n).toString("latin1"),
    };
    this.cache = new IsolateCache(
      isolatesCap,
      () => PluginIsolate.create(this.prelude, options.memory_limit_mb, this.hooks),
      (isolate, code, codeCache, produceCache) => this.loadBundle(isolate, code, codeCache, produceCache),
      (info) => {
        const { target, ...timings } = info;
        if (info.code_cache_rebuilt) {
          this.send({ t: "log", level: "warn", msg: "the stored code cache failed verification: thrown away and made again from the verified bundle", fields: { pkg: target.pkg, version: target.version } });
        }
        this.send({ t: "log", level: "debug", msg: "isolate cold start", fields: { tenant: target.tenant, pkg: target.pkg, version: target.version, ...timings } });
      },
      tenantIsolateCap(options),
      options.package_spares,
      (isolate) => isolate.compact(5_000),
      this.link,
    );
  }

  start(): void {
    this.cache.refillSpare();
    // One watchdog sweep for all calls (cheaper than a timer per call on the hot path).
    this.watchdog = setInterval(() => this.sweep(), WATCHDOG_INTERVAL_MS);
    this.watchdog.unref();
    this.compactor = setInterval(() => this.cache.compactIdle(), COMPACT_INTERVAL_MS);
    this.compactor.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const call of this.byId.values()) {
      if (!call.ended && now >= call.deadline) call.onDeadline?.();
    }
  }

  handle(msg: ParentMessage): void {
    if (this.link.handle(msg)) return;
    switch (msg.t) {
      case "call":
        void this.runCall(msg);
        return;
      case "cancel":
        this.cancel(msg.id, msg.reason);
        return;
      case "credit":
        this.credit(msg.id, msg.n);
        return;
      case "inspect":
        void this.inspect(msg.id, msg.code);
        return;
      case "prepare":
        this.cache.preparePackage(msg.target);
        return;
      case "drop":
        this.cache.drop(msg.pkg, msg.version);
        this.send({ t: "done", id: msg.id });
        return;
      case "stats":
        this.send({ t: "stats", id: msg.id, warm: this.cache.size, inFlight: this.byId.size, spares: this.cache.readySpares() });
        return;
      case "init":
        return;
    }
  }

  /** Evaluates a bundle in an isolate, with a load pseudo-call owning its timers and logs. */
  private async loadBundle(isolate: PluginIsolate, code: string, codeCache: Buffer | null, produceCache: boolean): Promise<Buffer | null> {
    const target = { tenant: "", pkg: "", version: "", dir: "", artifacts: {} };
    // Negative ids, one per load, so the host's per-call fetch cap counts each load apart.
    const call = new CallState(-this.loads++, "load", "load", target, "", "", isolate, this.options.timeout_ms);
    this.calls.set(call.callId, call);
    try {
      return await isolate.load(code, { cachedData: codeCache, produceCache, maxBytes: this.options.max_payload_bytes, timeoutMs: this.options.timeout_ms });
    } catch (err) {
      throw err instanceof RuntimeError ? err : errorFromIvm(err, isolate);
    } finally {
      call.end();
      this.calls.delete(call.callId);
    }
  }

  private async inspect(id: number, code: string): Promise<void> {
    let isolate: PluginIsolate | null = null;
    try {
      isolate = await PluginIsolate.create(this.prelude, this.options.memory_limit_mb, this.hooks);
      const cache = await this.loadBundle(isolate, code, null, true);
      const plugins = await isolate.describe(this.options.timeout_ms);
      this.send({ t: "inspected", id, plugins, codeCache: cache ? cache.toString("base64") : null });
    } catch (err) {
      const e = isolate ? errorFromIvm(err, isolate) : RuntimeError.from(err);
      // Whatever went wrong while evaluating the bundle, the package is what is at fault.
      const error = e.code === "InvalidPackage" ? e : new RuntimeError("InvalidPackage", `evaluating the bundle failed: ${e.message}`, { data: e.data });
      this.send({ t: "error", id, error: error.toBody() });
    } finally {
      isolate?.dispose("closed");
    }
  }

  private async runCall(msg: CallMessage): Promise<void> {
    let warm: WarmIsolate;
    try {
      warm = await this.cache.acquire(msg.target);
    } catch (err) {
      this.send({ t: "error", id: msg.id, error: RuntimeError.from(err).toBody() });
      return;
    }
    const call = new CallState(msg.id, msg.requestId, msg.kind, msg.target, msg.plugin, msg.tool, warm.isolate, this.options.timeout_ms);
    call.onFetchDenied = (err) => this.log("warn", `fetch refused: ${err.message}`, call);
    call.onFetch = (report) => this.log("info", "plugin fetch", call, { source: "fetch", ...report });
    this.calls.set(call.callId, call);
    this.byId.set(call.id, call);
    call.onDeadline = () => this.timeout(call, warm);
    let outcome: { ok: true; json: string } | { ok: false; error: RuntimeError };
    try {
      const text = await warm.isolate.dispatch(
        { kind: msg.kind, callId: call.callId, plugin: msg.plugin, tool: msg.tool, inputJson: msg.inputJson, cfgJson: msg.cfgJson, tenant: msg.target.tenant },
        call.remainingMs(),
      );
      outcome = text.charAt(0) === "R" ? { ok: true, json: text.length > 1 ? text.slice(1) : "null" } : { ok: false, error: errorFromIsolate(text) };
    } catch (err) {
      outcome = { ok: false, error: call.timedOut ? new RuntimeError("ToolTimeout", `the tool exceeded its time limit of ${this.options.timeout_ms} ms`) : errorFromIvm(err, warm.isolate) };
      if (!warm.isolate.disposed) warm.isolate.dispose(outcome.error.code === "ToolTimeout" ? "timeout" : "error");
    }
    if (!outcome.ok && outcome.error.code === "ToolError" && /Array buffer allocation failed/.test(outcome.error.message)) {
      outcome = { ok: false, error: new RuntimeError("ToolMemoryLimit", "the plugin exceeded its memory limit (array buffer allocation failed)") };
    }
    if (!outcome.ok) outcome = { ok: false, error: await this.withSourceLocations(outcome.error, msg.target) };
    const usage = call.usage();
    call.end();
    if (call.logDropped > 0) this.log("warn", `${call.logDropped} log lines dropped (limit ${this.options.max_log_lines} per call)`, call);
    this.calls.delete(call.callId);
    this.byId.delete(call.id);
    this.cache.release(warm);
    // A canceled call still reports once, so the pool can settle its bookkeeping.
    if (call.canceled) outcome = { ok: false, error: new RuntimeError("ToolError", "the call was canceled by the client") };
    this.finish(call, outcome, usage);
  }

  /** Points a plugin error's stack at the author's files (`src/index.ts:12:7`). */
  private async withSourceLocations(error: RuntimeError, target: PackageTarget): Promise<RuntimeError> {
    const data = error.data as { stack?: unknown } | undefined;
    if (!data || typeof data.stack !== "string") return error;
    const stack = await this.cache.mapStack(target, data.stack);
    const location = firstLocation(stack);
    return new RuntimeError(error.code, error.message, { data: { ...data, stack, ...(location ? { location } : {}) } });
  }

  private finish(call: CallState, outcome: { ok: true; json: string } | { ok: false; error: RuntimeError }, usage: CallUsage): void {
    if (!outcome.ok) {
      this.send({ t: "error", id: call.id, error: outcome.error.toBody(), usage });
    } else if (call.kind === "stream") {
      this.send({ t: "end", id: call.id, usage });
    } else {
      this.send({ t: "result", id: call.id, json: outcome.json, usage });
    }
  }

  /** The watchdog: past the deadline the isolate is disposed, whatever it is doing. */
  private timeout(call: CallState, warm: WarmIsolate): void {
    if (call.ended || call.timedOut) return;
    call.timedOut = true;
    this.cache.remove(warm);
    warm.isolate.dispose("timeout");
  }

  private cancel(id: number, reason: "client" | "timeout"): void {
    const call = this.byId.get(id);
    if (!call || call.ended) return;
    call.canceled = true;
    const isolate = call.isolate;
    call.controller.abort();
    isolate.abort(call.callId, reason, call.remainingMs()).catch(() => undefined);
    // A plugin that ignores its abort signal loses its isolate, so the slot is freed.
    setTimeout(() => {
      if (!call.ended) {
        call.timedOut = true;
        isolate.dispose("error");
      }
    }, CANCEL_GRACE_MS).unref();
  }

  private emit(callId: string, json: string): string {
    const call = this.calls.get(callId);
    if (!call || call.ended || call.kind !== "stream" || call.canceled) return "";
    if (json.length > this.options.max_payload_bytes) return "";
    call.streamSent++;
    this.send({ t: "chunk", id: call.id, json });
    if (call.streamSent - call.streamCredited < this.options.stream_high_water) return "";
    const opId = `credit-${call.id}-${call.streamSent}`;
    call.creditWaiter = opId;
    return opId;
  }

  private credit(id: number, n: number): void {
    const call = this.byId.get(id);
    if (!call) return;
    call.streamCredited += n;
    if (call.creditWaiter && call.streamSent - call.streamCredited < this.options.stream_high_water) {
      const opId = call.creditWaiter;
      call.creditWaiter = null;
      this.ops.settle(call, opId, true, "");
    }
  }

  private pluginLog(callId: string, level: string, text: string): void {
    const call = this.calls.get(callId);
    if (!call) return;
    if (call.logLines >= this.options.max_log_lines) {
      call.logDropped++;
      return;
    }
    call.logLines++;
    const max = this.options.max_log_line_bytes;
    this.log(LOG_LEVELS.has(level as LogLevel) ? (level as LogLevel) : "info", text.length > max ? `${text.slice(0, max)}… (truncated)` : text, call, {}, true);
  }

  private log(level: LogLevel, msg: string, call: CallState, extra: Record<string, unknown> = {}, ownLine = false): void {
    const t = call.target;
    this.send({
      t: "log",
      level,
      msg,
      fields: { source: "plugin", tenant: t.tenant, pkg: t.pkg, version: t.version, plugin: call.plugin, tool: call.tool, call_id: call.requestId, ...extra },
      ...(ownLine && call.id >= 0 ? { call: call.id } : {}),
    });
  }

  async close(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.compactor) clearInterval(this.compactor);
    for (const call of this.calls.values()) call.end();
    await this.cache.close();
    this.link.close();
  }
}
