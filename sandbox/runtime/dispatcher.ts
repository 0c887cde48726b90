// Runs plugin code on the host's behalf: loads the bundle's plugins, describes them,
// and executes tool calls and validations. Results leave as one string: "R" + JSON
// for a value, "E" + JSON for an error ({code, message, data}); nothing else crosses.
import { bridgeErrors, emitChunk, setActiveCall } from "./bridge.ts";
import { makeLogger } from "./console.ts";
import { makeFetch } from "./fetch.ts";
import { sandboxRequire, sdk } from "./modules.ts";

interface SafeParse {
  success: boolean;
  data?: unknown;
  error?: { issues: { path: PropertyKey[]; message: string; code?: string }[] };
}
interface Schema {
  safeParse(value: unknown): SafeParse;
}
interface ToolDef {
  input?: Schema;
  output?: Schema;
  stream?: boolean;
  run(input: unknown, ctx: unknown): unknown;
}
interface PluginDef {
  name: string;
  config?: Schema;
  validate?(cfg: unknown, ctx: unknown): unknown;
  tools: Record<string, ToolDef>;
}
interface AbortControllerLike {
  signal: { aborted: boolean; reason: unknown; addEventListener(t: string, f: () => void, o?: object): void; removeEventListener(t: string, f: () => void): void };
  abort(reason?: unknown): void;
}

const g = globalThis as unknown as { AbortController: new () => AbortControllerLike; DOMException: new (m: string, n: string) => Error };
const jsonStringify = JSON.stringify;
const jsonParse = JSON.parse;
const hasOwn = Object.hasOwn;
const MapCtor = Map;
const isArray = Array.isArray;

const plugins = new MapCtor<string, PluginDef>();
const calls = new MapCtor<string, AbortControllerLike>();
let maxBytes = 10 * 1024 * 1024;

class CallFailure {
  constructor(
    readonly code: string,
    readonly message: string,
    readonly data?: unknown,
  ) {}
}

function issuesOf(result: SafeParse): { path: (string | number)[]; message: string; code?: string }[] {
  return (result.error?.issues ?? []).map((i) => ({
    path: i.path.map((p) => (typeof p === "number" ? p : String(p))),
    message: String(i.message),
    ...(i.code ? { code: String(i.code) } : {}),
  }));
}

function checked(schema: Schema | undefined, value: unknown, code: string, what: string): unknown {
  if (!schema) return value;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = issuesOf(r);
  const first = issues[0];
  const where = first && first.path.length ? ` at ${first.path.join(".")}` : "";
  throw new CallFailure(code, `${what} is invalid${where}: ${first?.message ?? "does not match the schema"}`, { issues });
}

function toJson(value: unknown, what: string): string {
  const text = value === undefined ? "null" : jsonStringify(value);
  if (typeof text !== "string") return "null";
  if (text.length > maxBytes) throw new CallFailure("ToolError", `${what} is larger than ${maxBytes} bytes`);
  return text;
}

/** Reads a property of a plugin's error; getters and stack formatters may throw. */
function read(err: object, key: string): unknown {
  try {
    return (err as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function text(value: unknown, fallback: string): string {
  if (typeof value === "string") return value;
  try {
    return value === undefined ? fallback : String(value);
  } catch {
    return fallback;
  }
}

function pluginStack(err: object): string | undefined {
  const stack = read(err, "stack");
  if (typeof stack !== "string") return undefined;
  const lines = stack.split("\n").filter((l) => l.includes("bundle.js"));
  return lines.length ? lines.map((l) => l.trim()).join("\n") : undefined;
}

function failureOf(err: unknown): { code: string; message: string; data?: unknown } {
  try {
    if (err instanceof CallFailure) return { code: err.code, message: err.message, data: err.data };
    if (err instanceof sdk.PluginError) {
      let data: unknown;
      try {
        const raw = read(err, "data");
        data = raw === undefined ? undefined : jsonParse(jsonStringify(raw));
      } catch {
        data = undefined;
      }
      const stack = pluginStack(err);
      const message = text(read(err, "message"), "plugin error");
      return { code: "ToolError", message, data: stack ? { ...(data && typeof data === "object" ? data : { detail: data }), stack } : data };
    }
    if (err instanceof Error) {
      const code = bridgeErrors.get(err) ?? "ToolError";
      const name = text(read(err, "name"), "Error");
      const raw = text(read(err, "message"), "");
      const message = code === "ToolError" && name !== "Error" ? `${name}: ${raw}` : raw;
      const stack = pluginStack(err);
      return stack ? { code, message, data: { stack } } : { code, message };
    }
    let shown = "";
    try {
      shown = typeof err === "string" ? err : (jsonStringify(err) ?? String(err));
    } catch {
      shown = "non-error value thrown";
    }
    return { code: "ToolError", message: `plugin threw ${shown}` };
  } catch {
    return { code: "ToolError", message: "the plugin threw an error that could not be read" };
  }
}

function encodeFailure(err: unknown): string {
  const f = failureOf(err);
  try {
    return "E" + jsonStringify(f).slice(0, maxBytes);
  } catch {
    return "E" + jsonStringify({ code: f.code, message: text(f.message, "plugin error").slice(0, 10_000) });
  }
}

function findTool(pluginName: string, toolName: string): { plugin: PluginDef; tool: ToolDef } {
  const plugin = plugins.get(pluginName);
  if (!plugin) throw new CallFailure("PluginNotFound", `plugin ${pluginName} not found in this package`);
  if (!hasOwn(plugin.tools, toolName)) throw new CallFailure("ToolNotFound", `tool ${toolName} not found in plugin ${pluginName}`);
  return { plugin, tool: plugin.tools[toolName]! };
}

function makeCtx(callId: string, cfg: unknown, tenant: string, controller: AbortControllerLike) {
  return {
    cfg,
    tenant,
    signal: controller.signal,
    log: makeLogger(() => callId),
    fetch: makeFetch(
      () => callId,
      () => controller.signal,
    ),
  };
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return v !== null && typeof v === "object" && typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}
function isIterable(v: unknown): v is Iterable<unknown> {
  return v !== null && typeof v === "object" && typeof (v as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function";
}

async function* chunksOf(value: unknown): AsyncGenerator<unknown> {
  if (isAsyncIterable(value)) {
    for await (const c of value) yield c;
  } else if (isIterable(value) && !isArray(value) && typeof value !== "string") {
    for (const c of value) yield c;
  } else {
    yield value;
  }
}

async function runStream(callId: string, tool: ToolDef, result: unknown, controller: AbortControllerLike): Promise<string> {
  for await (const chunk of chunksOf(result)) {
    if (controller.signal.aborted) break;
    const wait = emitChunk(callId, toJson(checked(tool.output, chunk, "ToolError", "stream chunk"), "stream chunk"));
    if (wait) await wait;
    setActiveCall(callId);
  }
  return "R";
}

/** A streaming tool called without `stream`: its chunks are collected (strings joined). */
async function collect(tool: ToolDef, result: unknown): Promise<unknown> {
  const parts: unknown[] = [];
  for await (const chunk of chunksOf(result)) parts.push(checked(tool.output, chunk, "ToolError", "stream chunk"));
  return parts.every((p) => typeof p === "string") ? parts.join("") : parts;
}

export async function dispatch(kind: string, callId: string, pluginName: string, toolName: string, inputJson: string, cfgJson: string, tenant: string): Promise<string> {
  setActiveCall(callId);
  const controller = new g.AbortController();
  calls.set(callId, controller);
  try {
    if (kind === "validate") {
      const plugin = plugins.get(pluginName);
      if (!plugin) throw new CallFailure("PluginNotFound", `plugin ${pluginName} not found in this package`);
      // HiAgent's RunPluginValidate answers PluginInvalidConfig for both failures; `stage`
      // tells a caller that must tell them apart (SetPluginConfig) which check refused.
      let cfg: unknown;
      try {
        cfg = checked(plugin.config, jsonParse(cfgJson) ?? {}, "PluginInvalidConfig", "cfg");
      } catch (err) {
        if (err instanceof CallFailure) throw new CallFailure(err.code, err.message, { ...(err.data as object), stage: "schema" });
        throw err;
      }
      if (typeof plugin.validate === "function") {
        try {
          await plugin.validate(cfg, makeCtx(callId, cfg, tenant, controller));
        } catch (err) {
          const f = failureOf(err);
          if (f.code !== "ToolError") throw err;
          throw new CallFailure("PluginInvalidConfig", f.message, f.data);
        }
      }
      return "Rnull";
    }
    const { plugin, tool } = findTool(pluginName, toolName);
    const cfg = checked(plugin.config, jsonParse(cfgJson) ?? {}, "InvalidConfig", "cfg");
    const input = checked(tool.input, jsonParse(inputJson) ?? {}, "InvalidInput", "input");
    const result = tool.run(input, makeCtx(callId, cfg, tenant, controller));
    if (kind === "stream") {
      if (tool.stream === true) return await runStream(callId, tool, result, controller);
      return await runStream(callId, { ...tool, output: undefined }, [checked(tool.output, await result, "ToolError", "output")], controller);
    }
    if (tool.stream === true) return "R" + toJson(await collect(tool, result), "output");
    return "R" + toJson(checked(tool.output, await result, "ToolError", "output"), "output");
  } catch (err) {
    return encodeFailure(err);
  } finally {
    calls.delete(callId);
  }
}

// Captured before any plugin code runs: a plugin may patch String.prototype in its own
// isolate, and that must not change how the host's calls are read.
const reflectApply = Reflect.apply;
const stringSlice = String.prototype.slice;
const stringCharCodeAt = String.prototype.charCodeAt;
const COMMA = 44;
const SEMICOLON = 59;

/**
 * The host's entry for a call: dispatch's seven strings packed into one (a header of
 * their lengths, `;`, then the strings), since each argument that crosses into the
 * isolate is copied on its own. Lengths, not separators: no field's content can shift
 * another (a tool name cannot rewrite the tenant).
 */
export function dispatchPacked(packed: unknown): Promise<string> {
  const f = typeof packed === "string" ? unpack(packed) : null;
  // Not an async function: one that returned dispatch's promise would settle through
  // `then`, which plugin code may have patched; dispatch's own promise is what we hand back.
  if (f === null) return malformedCall();
  return dispatch(f[0]!, f[1]!, f[2]!, f[3]!, f[4]!, f[5]!, f[6]!);
}

async function malformedCall(): Promise<string> {
  return "E" + jsonStringify({ code: "Internal", message: "malformed call from the host" });
}

/** Reads the packed fields with intrinsics only (own indices of literals, captured methods). */
function unpack(packed: string): string[] | null {
  const n = packed.length;
  const lengths = [0, 0, 0, 0, 0, 0, 0];
  let k = 0;
  let value = 0;
  let digits = 0;
  let i = 0;
  for (; i < n; i++) {
    const c = reflectApply(stringCharCodeAt, packed, [i]) as number;
    if (c === SEMICOLON) break;
    if (c === COMMA) {
      if (digits === 0 || k >= 6) return null;
      lengths[k++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 15) {
      value = value * 10 + (c - 48);
      digits++;
    } else {
      return null;
    }
  }
  if (i >= n || digits === 0 || k !== 6) return null;
  lengths[6] = value;
  const fields = ["", "", "", "", "", "", ""];
  let at = i + 1;
  for (let f = 0; f < 7; f++) {
    const end = at + lengths[f]!;
    if (end > n) return null;
    fields[f] = reflectApply(stringSlice, packed, [at, end]) as string;
    at = end;
  }
  return at === n ? fields : null;
}

export function abort(callId: string, reason: string): void {
  const c = calls.get(callId);
  if (!c) return;
  setActiveCall(callId);
  c.abort(new g.DOMException(reason === "timeout" ? "The operation timed out" : "The operation was aborted", reason === "timeout" ? "TimeoutError" : "AbortError"));
}

/** Evaluates the plugin bundle (a CommonJS module function) and registers its plugins. */
export function load(moduleFn: unknown, limit: number): string {
  maxBytes = limit;
  try {
    if (typeof moduleFn !== "function") throw new CallFailure("InvalidPackage", "bundle is not a module");
    const module = { exports: {} as Record<string, unknown> };
    moduleFn(module, module.exports, sandboxRequire);
    const exported = module.exports && hasOwn(module.exports, "default") ? module.exports.default : module.exports;
    const list = isArray(exported) ? exported : [exported];
    if (list.length === 0) throw new CallFailure("InvalidPackage", "the entry's default export has no plugins");
    for (const p of list) {
      if (!p || typeof p !== "object" || (p as Record<symbol, unknown>)[sdk.PLUGIN_BRAND] !== true) {
        throw new CallFailure("InvalidPackage", "the entry's default export must be definePlugin(...) or an array of them");
      }
      const def = p as PluginDef;
      if (plugins.has(def.name)) throw new CallFailure("InvalidPackage", `two plugins are named ${def.name}`);
      if (!def.tools || Object.keys(def.tools).length === 0) throw new CallFailure("InvalidPackage", `plugin ${def.name} has no tools`);
      plugins.set(def.name, def);
    }
    return "R";
  } catch (err) {
    const f = failureOf(err);
    const code = f.code === "ToolError" ? "InvalidPackage" : f.code;
    return "E" + jsonStringify({ ...f, code, message: code === "InvalidPackage" && f.code === "ToolError" ? `the bundle failed to load: ${f.message}` : f.message });
  }
}

export function describe(): string {
  try {
    const metas: unknown[] = [];
    for (const p of plugins.values()) metas.push((p as unknown as Record<symbol, () => unknown>)[sdk.DESCRIBE]!());
    return "R" + jsonStringify(metas);
  } catch (err) {
    return encodeFailure(new CallFailure("InvalidPackage", `reading plugin metadata failed: ${failureOf(err).message}`));
  }
}

/**
 * Runs a throwaway plugin through definePlugin, describe and two dispatches (a good
 * and a bad input), so a spare isolate has compiled the call path before its first
 * real call. The plugin is removed again.
 */
export async function warmDispatch(): Promise<void> {
  const { z } = sdk;
  const name = "\u0000warm";
  const def = sdk.definePlugin({
    name,
    config: z.object({ key: z.string().optional() }),
    tools: {
      t: sdk.defineTool({
        input: z.object({ q: z.string(), n: z.number().int().default(1) }),
        output: z.object({ q: z.string() }),
        run: async (i: { q: string }) => ({ q: i.q }),
      }),
    },
  }) as unknown as PluginDef;
  plugins.set(name, def);
  try {
    (def as unknown as Record<symbol, () => unknown>)[sdk.DESCRIBE]!();
    await dispatch("tool", "warm", name, "t", '{"q":"x"}', "null", "");
    await dispatch("tool", "warm", name, "t", '{"q":1}', "null", "");
  } finally {
    plugins.delete(name);
  }
}
