// The standard web globals of the sandbox (SPEC §4) that need nothing from the host:
// URL, URLSearchParams, TextEncoder, TextDecoder, atob, btoa, structuredClone,
// AbortController, AbortSignal, EventTarget, Event, DOMException and Headers.
// Everything here is plain JavaScript evaluated inside the isolate.

import { AbortController } from "./abort-controller.ts";
import { AbortSignal } from "./abort-signal.ts";
import { atob, btoa } from "./base64.ts";
import { DOMException } from "./dom-exception.ts";
import { Event } from "./event.ts";
import { EventTarget } from "./event-target.ts";
import { Headers } from "./headers.ts";
import { structuredClone } from "./structured-clone.ts";
import { TextDecoder } from "./text-decoder.ts";
import { TextEncoder } from "./text-encoder.ts";
import { URL } from "./url/url.ts";
import { URLSearchParams } from "./url/url-search-params.ts";

export { AbortController } from "./abort-controller.ts";
export { AbortSignal, abortSignal, createAbortSignal } from "./abort-signal.ts";
export { DOMException } from "./dom-exception.ts";
export { Event } from "./event.ts";
export { EventTarget } from "./event-target.ts";
export { Headers, markHeadersImmutable } from "./headers.ts";
export { TextDecoder } from "./text-decoder.ts";
export { TextEncoder } from "./text-encoder.ts";
export { URL } from "./url/url.ts";
export { URLSearchParams } from "./url/url-search-params.ts";

// Each class names itself with a static getter; these functions are renamed here
// because a minifier may have shortened their names.
const FUNCTIONS: Record<string, object> = { atob, btoa, structuredClone };

const CLASSES: Record<string, object> = {
  AbortController,
  AbortSignal,
  DOMException,
  Event,
  EventTarget,
  Headers,
  TextDecoder,
  TextEncoder,
  URL,
  URLSearchParams,
};

/** Defines the globals on `target` the way browsers do: writable, configurable, not enumerable. */
export function installWebGlobals(target: typeof globalThis): void {
  // Kept to the fewest operations (reading a class's name would compile its getter):
  // this runs in every fresh isolate.
  for (const name in FUNCTIONS) {
    const value = FUNCTIONS[name]!;
    Object.defineProperty(value, "name", { value: name, configurable: true });
    Object.defineProperty(target, name, { value, writable: true, configurable: true });
  }
  for (const name in CLASSES) {
    Object.defineProperty(target, name, { value: CLASSES[name], writable: true, configurable: true });
  }
}
