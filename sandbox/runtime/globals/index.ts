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
export { warmWebGlobals } from "./warm-up.ts";

// Writable, configurable and not enumerable, as in browsers. Built at load: top-level
// code is compiled with the script (and kept in its code cache), while a function is
// compiled on its first call, which in a fresh isolate costs more than the defining
// itself; so the function below is one statement. Names survive minifying on their
// own (static name getters on the classes, method names for the functions).
const GLOBAL_DESCRIPTORS: PropertyDescriptorMap = {
  AbortController: { value: AbortController, writable: true, configurable: true },
  AbortSignal: { value: AbortSignal, writable: true, configurable: true },
  DOMException: { value: DOMException, writable: true, configurable: true },
  Event: { value: Event, writable: true, configurable: true },
  EventTarget: { value: EventTarget, writable: true, configurable: true },
  Headers: { value: Headers, writable: true, configurable: true },
  TextDecoder: { value: TextDecoder, writable: true, configurable: true },
  TextEncoder: { value: TextEncoder, writable: true, configurable: true },
  URL: { value: URL, writable: true, configurable: true },
  URLSearchParams: { value: URLSearchParams, writable: true, configurable: true },
  atob: { value: atob, writable: true, configurable: true },
  btoa: { value: btoa, writable: true, configurable: true },
  structuredClone: { value: structuredClone, writable: true, configurable: true },
};

/** Defines the web globals on `target` (the isolate's globalThis). */
export function installWebGlobals(target: typeof globalThis): void {
  Object.defineProperties(target, GLOBAL_DESCRIPTORS);
}
