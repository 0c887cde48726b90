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

/** Defines the globals on `target` the way browsers do: writable, configurable, not enumerable. */
export function installWebGlobals(target: typeof globalThis): void {
  // Written out, one statement per global: this runs in every fresh isolate, where a
  // loop over a table or a helper function (compiled on its first call) costs several
  // times more. Names survive minifying on their own (static name getters, method names).
  const g = target as unknown as object;
  Object.defineProperty(g, "AbortController", { value: AbortController, writable: true, configurable: true });
  Object.defineProperty(g, "AbortSignal", { value: AbortSignal, writable: true, configurable: true });
  Object.defineProperty(g, "DOMException", { value: DOMException, writable: true, configurable: true });
  Object.defineProperty(g, "Event", { value: Event, writable: true, configurable: true });
  Object.defineProperty(g, "EventTarget", { value: EventTarget, writable: true, configurable: true });
  Object.defineProperty(g, "Headers", { value: Headers, writable: true, configurable: true });
  Object.defineProperty(g, "TextDecoder", { value: TextDecoder, writable: true, configurable: true });
  Object.defineProperty(g, "TextEncoder", { value: TextEncoder, writable: true, configurable: true });
  Object.defineProperty(g, "URL", { value: URL, writable: true, configurable: true });
  Object.defineProperty(g, "URLSearchParams", { value: URLSearchParams, writable: true, configurable: true });
  Object.defineProperty(g, "atob", { value: atob, writable: true, configurable: true });
  Object.defineProperty(g, "btoa", { value: btoa, writable: true, configurable: true });
  Object.defineProperty(g, "structuredClone", { value: structuredClone, writable: true, configurable: true });
}
