// The script every isolate evaluates before plugin code: installs the globals of
// SPEC §4 (and removes what must not be there), loads the SDK and zod, and returns
// the entry points the host calls. Bundled by esbuild into one script.
import { setActiveCall, settleOp } from "./bridge.ts";
import { makeConsole } from "./console.ts";
import { cryptoGlobal } from "./crypto.ts";
import { abort, describe, dispatch, load } from "./dispatcher.ts";
import { makeFetch, Request, Response } from "./fetch.ts";
import { installWebGlobals } from "./globals/index.ts";
import { currentCall } from "./bridge.ts";
import { timerGlobals } from "./timers.ts";
import { patchWebAssembly } from "./webassembly.ts";

const target = globalThis as unknown as Record<string, unknown>;

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

export const entry = {
  load,
  describe,
  dispatch,
  abort,
  settle(callId: string, opId: string, ok: boolean, payload: string): void {
    setActiveCall(callId);
    settleOp(opId, ok, payload);
  },
};
