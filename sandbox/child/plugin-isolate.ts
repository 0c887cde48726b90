// One V8 isolate holding one package version for one tenant: the prelude (web globals,
// SDK, zod), the plugin bundle, and the entry points the host calls. Only strings and
// numbers cross in either direction.
import { writeSync } from "node:fs";
import ivm from "isolated-vm";
import { FATAL_MARKER } from "../protocol.ts";
import { RuntimeError, type ErrorCode } from "../errors.ts";
import type { PluginMeta } from "../sandbox-api.ts";

/** Host functions the isolate's bridge calls (see sandbox/runtime/bridge.ts). */
export interface IsolateHooks {
  op(kind: string, callId: string, payload: string): string;
  log(callId: string, level: string, text: string): void;
  emit(callId: string, json: string): string;
  random(n: number): string;
}

export type DisposeReason = "timeout" | "memory" | "evicted" | "dropped" | "error" | "closed";

/**
 * The prelude's source, held once per process. Every isolate evaluates it from this one
 * copy: the string each isolate gets is external and shares the buffer, where compiling
 * it would keep a private copy (~0.5 MB) in every isolate. (The price: no code cache for
 * the prelude, ~10 ms more CPU per spare isolate, made off the hot path.)
 */
export class PreludeSource {
  readonly shared: ivm.ExternalCopy<string>;
  constructor(readonly code: string) {
    this.shared = new ivm.ExternalCopy(`${code}\n//# sourceURL=hiagent:runtime\n`);
  }
}

/** Evaluates the shared source by indirect eval, as a script in the global scope, and drops the handle. */
const EVAL_PRELUDE = "{ const s = globalThis.__hb_src; delete globalThis.__hb_src; (0, eval)(s) }";

const MAX_RANDOM = 65_536;

/** compileScript's result also carries the code cache fields (missing from the typings). */
type CompiledScript = ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer>; cachedDataRejected?: boolean };

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

export class PluginIsolate {
  readonly isolate: ivm.Isolate;
  disposedReason: DisposeReason | null = null;
  heapPeak = 0;
  /** WebAssembly memory the isolate holds, as its budget last reported it. */
  wasmMemoryBytes = 0;
  private sampling = false;
  private sampledAt = 0;
  /** Whether V8 refused the code cache at the last load (a V8 or flag change). */
  cacheRejected = false;
  private constructor(
    isolate: ivm.Isolate,
    private readonly context: ivm.Context,
    private readonly entry: {
      load: ivm.Reference<(fn: unknown, limit: number) => string>;
      warm: ivm.Reference<() => Promise<void>>;
      compact: ivm.Reference<(beyondLimit: number) => void>;
      describe: ivm.Reference<() => string>;
      dispatch: ivm.Reference<(packed: string) => Promise<string>>;
      abort: ivm.Reference<(callId: string, reason: string) => void>;
      settle: ivm.Reference<(callId: string, opId: string, ok: boolean, payload: string) => void>;
    },
    private readonly memoryLimitMb: number,
  ) {
    this.isolate = isolate;
  }

  static async create(prelude: PreludeSource, memoryLimitMb: number, hooks: IsolateHooks): Promise<PluginIsolate> {
    const isolate = new ivm.Isolate({
      memoryLimit: memoryLimitMb,
      onCatastrophicError: (message) => {
        // SPEC §9.1: the process is past saving; say why, synchronously, then abort.
        writeSync(2, `\n${FATAL_MARKER} memory ${String(message).slice(0, 200)}\n`);
        process.abort();
      },
    });
    try {
      const context = await isolate.createContext();
      const global = context.global;
      await global.set("__hb_op", new ivm.Callback((k: unknown, c: unknown, p: unknown) => hooks.op(str(k), str(c), str(p))));
      await global.set("__hb_log", new ivm.Callback((c: unknown, l: unknown, t: unknown) => hooks.log(str(c), str(l), str(t)), { ignored: true }));
      await global.set("__hb_emit", new ivm.Callback((c: unknown, j: unknown) => hooks.emit(str(c), str(j))));
      await global.set("__hb_random", new ivm.Callback((n: unknown) => hooks.random(Math.max(0, Math.min(MAX_RANDOM, Number(n) | 0)))));
      await global.set("__hb_src", prelude.shared.copyInto({ release: false }));
      // The WebAssembly budget (runtime/webassembly.ts): wasm memory is outside V8's heap limit.
      await global.set("__hb_memory_limit", memoryLimitMb * 1024 * 1024);
      const entryRef = (await context.eval(EVAL_PRELUDE, { reference: true, timeout: 10_000 })) as ivm.Reference<Record<string, unknown>>;
      const get = <T>(name: string) => entryRef.get(name, { reference: true }) as Promise<ivm.Reference<T>>;
      const entry = {
        load: await get<(fn: unknown, limit: number) => string>("load"),
        warm: await get<() => Promise<void>>("warm"),
        compact: await get<(beyondLimit: number) => void>("compact"),
        describe: await get<() => string>("describe"),
        dispatch: await get<(packed: string) => Promise<string>>("dispatch"),
        abort: await get<(callId: string, reason: string) => void>("abort"),
        settle: await get<(callId: string, opId: string, ok: boolean, payload: string) => void>("settle"),
      };
      entryRef.release();
      return new PluginIsolate(isolate, context, entry, memoryLimitMb);
    } catch (err) {
      if (!isolate.isDisposed) isolate.dispose();
      throw err;
    }
  }

  /** Exercises the prelude's common paths once, so a later cold start finds them compiled. */
  async warm(timeoutMs: number): Promise<void> {
    await this.entry.warm.apply(undefined, [], { timeout: timeoutMs, result: { promise: true } });
  }

  /**
   * A memory-reducing full GC: frees what warming, loading or calls left behind and gives
   * the pages back to the OS (V8 does this by itself only for an isolate that runs
   * tasks while idle, which an isolated-vm isolate does not). Tens of ms of CPU on the
   * isolate's thread, so it is done off the hot path: on spares, and on idle isolates.
   */
  async compact(timeoutMs: number): Promise<void> {
    const beyondLimit = Math.max(2 ** 30, this.memoryLimitMb * 2 * 1024 * 1024);
    await this.entry.compact.apply(undefined, [beyondLimit], { timeout: timeoutMs });
  }

  /** Evaluates the plugin bundle; returns the code cache when asked to produce one. */
  async load(code: string, opts: { cachedData?: Buffer | null; produceCache?: boolean; maxBytes: number; timeoutMs: number }): Promise<Buffer | null> {
    const wrapped = `(function (module, exports, require) {${code}\n})`;
    const cached = opts.cachedData ? new ivm.ExternalCopy(opts.cachedData.buffer.slice(opts.cachedData.byteOffset, opts.cachedData.byteOffset + opts.cachedData.byteLength) as ArrayBuffer) : undefined;
    const script: CompiledScript = await this.isolate.compileScript(wrapped, {
      filename: "bundle.js",
      ...(cached ? { cachedData: cached } : opts.produceCache ? { produceCachedData: true } : {}),
    });
    this.cacheRejected = cached !== undefined && script.cachedDataRejected === true;
    const fn = (await script.run(this.context, { reference: true, timeout: opts.timeoutMs })) as ivm.Reference<unknown>;
    const result = await this.entry.load.apply(undefined, [fn.derefInto(), opts.maxBytes], { timeout: opts.timeoutMs, result: { copy: true } });
    fn.release();
    const text = str(result);
    if (text.charAt(0) !== "R") throw errorFromIsolate(text);
    const produced = script.cachedData;
    script.release();
    return opts.produceCache && produced ? Buffer.from(produced.copy()) : null;
  }

  async describe(timeoutMs: number): Promise<PluginMeta[]> {
    const text = str(await this.entry.describe.apply(undefined, [], { timeout: timeoutMs, result: { copy: true } }));
    if (text.charAt(0) !== "R") throw errorFromIsolate(text);
    return JSON.parse(text.slice(1)) as PluginMeta[];
  }

  /** Runs one call; resolves with the isolate's tagged result string ("R…" or "E…"). */
  async dispatch(args: { kind: string; callId: string; plugin: string; tool: string; inputJson: string; cfgJson: string; tenant: string }, timeoutMs: number): Promise<string> {
    const result = await this.entry.dispatch.apply(undefined, [packCall(args)], { timeout: Math.max(1, timeoutMs), result: { promise: true, copy: true } });
    if (typeof result !== "string") throw new RuntimeError("Internal", "sandbox returned a non-string result");
    return result;
  }

  settle(callId: string, opId: string, ok: boolean, payload: string, timeoutMs: number): Promise<void> {
    return this.entry.settle.apply(undefined, [callId, opId, ok, payload], { timeout: Math.max(1, timeoutMs) }).then(() => undefined);
  }

  abort(callId: string, reason: string, timeoutMs: number): Promise<void> {
    return this.entry.abort.apply(undefined, [callId, reason], { timeout: Math.max(1, timeoutMs) }).then(() => undefined);
  }

  /**
   * The heap peak seen so far. Sampling is asynchronous (a synchronous read would wait
   * for the isolate's thread and stall this process's event loop behind a busy
   * isolate), so a call's receipt carries the latest sample, refreshed after each call.
   */
  sampleHeap(): number {
    const now = Date.now();
    // At most one sample per isolate every 50 ms: each one is a task on the isolate's thread.
    if (!this.sampling && !this.isolate.isDisposed && now - this.sampledAt >= 50) {
      this.sampling = true;
      this.sampledAt = now;
      this.isolate
        .getHeapStatistics()
        .then((s) => {
          const used = s.used_heap_size + (s.externally_allocated_size ?? 0);
          if (used > this.heapPeak) this.heapPeak = used;
        })
        .catch(() => undefined)
        .finally(() => {
          this.sampling = false;
        });
    }
    return this.heapPeak;
  }

  get cpuNs(): bigint {
    try {
      return this.isolate.cpuTime;
    } catch {
      return 0n;
    }
  }

  get disposed(): boolean {
    return this.isolate.isDisposed;
  }

  dispose(reason: DisposeReason): void {
    if (this.disposedReason === null) this.disposedReason = reason;
    if (!this.isolate.isDisposed) {
      try {
        this.isolate.dispose();
      } catch {
        // already going away
      }
    }
  }
}

/** One string for the isolate's dispatch entry (see dispatchPacked in sandbox/runtime/dispatcher.ts). */
export function packCall(args: { kind: string; callId: string; plugin: string; tool: string; inputJson: string; cfgJson: string; tenant: string }): string {
  const fields = [args.kind, args.callId, args.plugin, args.tool, args.inputJson, args.cfgJson, args.tenant];
  return `${fields.map((f) => f.length).join(",")};${fields.join("")}`;
}

/**
 * The codes a call in an isolate may end with. Anything else coming out of the
 * isolate is the plugin's doing and is reported as ToolError, so plugin code can
 * never make the API answer, say, 401 or 500 Internal.
 */
const ISOLATE_CODES = new Set<ErrorCode>([
  "ToolError",
  "FetchDenied",
  "InvalidInput",
  "InvalidConfig",
  "PluginInvalidConfig",
  "PluginNotFound",
  "ToolNotFound",
  "InvalidPackage",
  // Raised by the isolate's WebAssembly budget (runtime/webassembly.ts), through the bridge.
  "ToolMemoryLimit",
]);

/** Turns an "E{...}" string from the isolate into a RuntimeError. */
export function errorFromIsolate(text: string): RuntimeError {
  try {
    const body = JSON.parse(text.slice(1)) as { code?: string; message?: string; data?: unknown };
    const code = ISOLATE_CODES.has(body.code as ErrorCode) ? (body.code as ErrorCode) : "ToolError";
    return new RuntimeError(code, String(body.message ?? "call failed"), { data: body.data });
  } catch {
    return new RuntimeError("Internal", "sandbox returned an unreadable error");
  }
}

/** Maps an exception of isolated-vm itself (not of plugin code) to the spec's codes. */
export function errorFromIvm(err: unknown, isolate: PluginIsolate): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isolate.disposedReason === "memory" || /memory limit/i.test(message)) {
    isolate.disposedReason ??= "memory";
    return new RuntimeError("ToolMemoryLimit", "the plugin exceeded its memory limit");
  }
  if (isolate.disposedReason === "timeout" || /timed out/i.test(message)) {
    return new RuntimeError("ToolTimeout", "the plugin exceeded its time limit");
  }
  if (isolate.disposedReason === "dropped") return new RuntimeError("PackageNotFound", "the package was deleted during the call");
  return new RuntimeError("Internal", `sandbox failure: ${message}`);
}
