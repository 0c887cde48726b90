// Exercises the common paths of the web globals once, so that their functions are
// compiled before plugin code needs them. V8 compiles a function on its first call,
// and in a fresh isolate the first URL parse or Headers call pays about a millisecond
// for that; an isolate warmed off the hot path does not.

import { AbortController } from "./abort-controller.ts";
import { atob, btoa } from "./base64.ts";
import { Headers } from "./headers.ts";
import { structuredClone } from "./structured-clone.ts";
import { TextDecoder } from "./text-decoder.ts";
import { TextEncoder } from "./text-encoder.ts";
import { URL } from "./url/url.ts";

/** Runs the common paths of the globals once; has no lasting effect. */
export function warmWebGlobals(): void {
  const url = new URL("/v1/items?page=1#top", "https://api.example.com:8443/base/");
  url.searchParams.append("q", "a b");
  url.pathname = "/v2/items";
  void url.href;
  void url.origin;
  const headers = new Headers({ "Content-Type": "application/json" });
  headers.append("Accept", "text/plain");
  headers.set("Set-Cookie", "a=1");
  for (const entry of headers) void entry;
  headers.get("accept");
  headers.getSetCookie();
  const bytes = new TextEncoder().encode(url.href + "é😀");
  const decoder = new TextDecoder();
  decoder.decode(bytes.subarray(0, 3), { stream: true });
  decoder.decode(bytes.subarray(3));
  atob(btoa("warm"));
  structuredClone({ list: [1, "two"], date: new Date(0), map: new Map([["k", new Set([1])]]) });
  const controller = new AbortController();
  controller.signal.addEventListener("abort", () => undefined);
  controller.abort();
}
