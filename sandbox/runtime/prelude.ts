// The script every isolate evaluates before plugin code: installs the globals of
// SPEC §4 (and removes what must not be there), loads the SDK and zod, and returns
// the entry points the host calls. Bundled by esbuild into one script.
import { setActiveCall, settleOp } from "./bridge.ts";
import { makeConsole } from "./console.ts";
import { cryptoGlobal } from "./crypto.ts";
import { abort, describe, dispatchPacked, load, warmDispatch } from "./dispatcher.ts";
import { makeFetch, Request, Response } from "./fetch.ts";
import { installWebGlobals, warmWebGlobals } from "./globals/index.ts";
import { sdk } from "./modules.ts";
import { currentCall } from "./bridge.ts";
import { timerGlobals } from "./timers.ts";
import { patchWebAssembly } from "./webassembly.ts";

const target = globalThis as unknown as Record<string, unknown>;

const ArrayBufferCtor = ArrayBuffer;

function define(name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
}

installWebGlobals(globalThis);
// Timing side channels (SPEC §9.5): no shared memory, no atomics.
delete target.SharedArrayBuffer;
delete target.Atomics;
patchWebAssembly(target as { WebAssembly?: never });

define("console", makeConsole());
define("crypto", cryptoGlobal);
define("Request", Request);
define("Response", Response);
define("fetch", makeFetch(currentCall, () => null));
for (const [name, fn] of Object.entries(timerGlobals)) define(name, fn);

/**
 * Runs the common paths once (web globals; zod parse, safeParse and JSON Schema) so
 * V8 compiles them in a spare isolate, off the hot path (SPEC §9.10).
 */
function warm(): Promise<void> {
  warmWebGlobals();
  const { z } = sdk;
  const schema = z.object({ query: z.string().min(1), n: z.number().int().default(5), tags: z.array(z.string()).optional() });
  schema.safeParse({ query: "x", tags: ["a"] });
  schema.safeParse({ query: 1 });
  schema.parse({ query: "y" });
  z.toJSONSchema(schema);
  JSON.parse(JSON.stringify({ a: [1, "b"] }));
  return warmDispatch();
}

export const entry = {
  warm,
  /**
   * A memory-reducing full GC (V8's LowMemoryNotification: compacts the heap, returns
   * the spare semi-space and empty pages to the OS). isolated-vm has no call for it, but
   * its allocator makes one before refusing an ArrayBuffer beyond the isolate's limit,
   * so asking for one is the way in. Plugin code can do the same; it gains nothing.
   */
  compact(beyondLimit: number): void {
    try {
      new ArrayBufferCtor(beyondLimit);
    } catch {
      // refused, as intended
    }
  },
  load,
  describe,
  dispatch: dispatchPacked,
  abort,
  settle(callId: string, opId: string, ok: boolean, payload: string): void {
    setActiveCall(callId);
    settleOp(opId, ok, payload);
  },
};
