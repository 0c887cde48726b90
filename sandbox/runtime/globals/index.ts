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
  // One plain call per global: this runs in every fresh isolate, where loops over
  // tables, renaming functions or reading a class's (getter) name measurably cost
  // more. Names survive minifying on their own (static name getters, method names).
  const define = (name: string, value: unknown): void => {
    Object.defineProperty(target, name, { value, writable: true, configurable: true });
  };
  define("AbortController", AbortController);
  define("AbortSignal", AbortSignal);
  define("DOMException", DOMException);
  define("Event", Event);
  define("EventTarget", EventTarget);
  define("Headers", Headers);
  define("TextDecoder", TextDecoder);
  define("TextEncoder", TextEncoder);
  define("URL", URL);
  define("URLSearchParams", URLSearchParams);
  define("atob", atob);
  define("btoa", btoa);
  define("structuredClone", structuredClone);
}
