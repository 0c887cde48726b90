// Isolate side of the bridge: captures the host callbacks the sandbox process put on
// the global object, removes them so plugin code never sees them, and keeps the table
// of pending host operations (fetches, timers, stream credit) that the host settles.
//
// Rule for every call into the host: arguments are primitive strings checked with
// `typeof` here, so nothing but a string ever crosses, whatever plugin code has patched.

declare const globalThis: Record<string, unknown>;

type OpCallback = (kind: string, callId: string, payload: string) => string;
type LogCallback = (callId: string, level: string, text: string) => void;
type EmitCallback = (callId: string, json: string) => string;
type RandomCallback = (n: number) => string;

function take<T>(name: string): T {
  const value = globalThis[name] as T;
  delete globalThis[name];
  if (typeof value !== "function") throw new Error(`sandbox bridge ${name} missing`);
  return value;
}

const hostOp = take<OpCallback>("__hb_op");
const hostLog = take<LogCallback>("__hb_log");
const hostEmit = take<EmitCallback>("__hb_emit");
const hostRandom = take<RandomCallback>("__hb_random");

const StringCtor = String;
const ErrorCtor = Error;
const TypeErrorCtor = TypeError;
const PromiseCtor = Promise;
const MapCtor = Map;
const jsonParse = JSON.parse;

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

interface PendingOp {
  resolve(payload: string): void;
  reject(error: Error): void;
}

const pending = new MapCtor<string, PendingOp>();

/** The call whose code is running now: set at every entry from the host. */
let activeCall = "";

export function setActiveCall(callId: string): void {
  activeCall = callId;
}

export function currentCall(): string {
  return activeCall;
}

/** Starts a host operation; the promise settles when the host calls `settleOp`. */
export function startOp(kind: string, payload: string, callId: string = activeCall): { id: string; done: Promise<string> } {
  const id = hostOp(str(kind), str(callId), str(payload));
  if (typeof id !== "string" || id.length === 0) throw new ErrorCtor("sandbox bridge refused the operation");
  if (id.charCodeAt(0) === 33 /* ! */) {
    const err = jsonParse(id.slice(1)) as { message?: string; code?: string };
    throw makeError(err.code ?? "Internal", err.message ?? "operation failed");
  }
  const done = new PromiseCtor<string>((resolve, reject) => {
    pending.set(id, { resolve, reject });
  });
  return { id, done };
}

/** Fire-and-forget host operation (timer clear, body cancel): no promise kept. */
export function signalOp(kind: string, payload: string, callId: string = activeCall): void {
  hostOp(str(kind), str(callId), str(payload));
}

export function forgetOp(id: string): void {
  pending.delete(id);
}

/** Host entry: settles an operation. `ok` false means payload is an error JSON. */
export function settleOp(id: string, ok: boolean, payload: string): void {
  const op = pending.get(id);
  if (!op) return;
  pending.delete(id);
  if (ok) {
    op.resolve(payload);
  } else {
    const err = jsonParse(payload) as { code?: string; message?: string };
    op.reject(makeError(err.code ?? "Internal", err.message ?? "operation failed"));
  }
}

/** Errors the bridge raised (FetchDenied…): only these may end a call with their own code. */
// The code is kept here, not read back from the (plugin-writable) `err.code`.
export const bridgeErrors = new WeakMap<object, string>();

/** Errors the host raised for a plugin keep their code on `.code`. */
export function makeError(code: string, message: string): Error {
  // A network failure is what fetch itself reports it as: a TypeError the plugin may
  // catch; uncaught, it is the plugin's failure (ToolError), not the host's.
  if (code === "DownloadFailed") return new TypeErrorCtor(`fetch failed: ${message}`);
  const err = new ErrorCtor(message) as Error & { code: string };
  bridgeErrors.set(err, code);
  err.name = code === "FetchDenied" ? "FetchDeniedError" : code === "AbortError" ? "AbortError" : "Error";
  err.code = code;
  return err;
}

export function log(level: string, text: string, callId: string = activeCall): void {
  hostLog(str(callId), str(level), str(text));
}

/**
 * Sends a stream chunk. When the consumer is behind, the host answers with an
 * operation id that it settles once there is room again: the generator awaits it.
 */
export function emitChunk(callId: string, json: string): Promise<string> | null {
  const id = hostEmit(str(callId), str(json));
  if (typeof id !== "string" || id.length === 0) return null;
  return new PromiseCtor<string>((resolve, reject) => {
    pending.set(id, { resolve, reject });
  });
}

export function randomBytes(n: number): string {
  return str(hostRandom(n | 0));
}

export function toStr(value: unknown): string {
  return StringCtor(value);
}
