// Serves the browser pages of the runtime (the console, /docs) from files on disk,
// only by names known in advance (no path from the request reaches the filesystem),
// with a strict Content-Security-Policy: scripts and styles from this origin only, no
// inline script, no eval, nothing from any other origin. Plugin metadata shown in these
// pages is untrusted; the policy is the second line behind rendering it as text.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Context } from "hono";

export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".map": "application/json; charset=utf-8",
};

export function pageHeaders(contentType: string, cache: string): Record<string, string> {
  return {
    "content-type": contentType,
    "content-security-policy": PAGE_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": cache,
  };
}

/** Answers with `dir/name`; `name` must come from a list the caller holds, never from the request. */
export async function sendFile(c: Context, dir: string, name: string, cache = "no-cache"): Promise<Response> {
  const type = TYPES[path.extname(name)] ?? "application/octet-stream";
  const bytes = await readFile(path.join(dir, name));
  return c.body(bytes, 200, pageHeaders(type, cache));
}

export function sendText(c: Context, text: string, contentType: string): Response {
  return c.body(text, 200, pageHeaders(contentType, "no-cache"));
}
