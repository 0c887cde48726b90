// The response envelope: `{"data":…,"error":null}` or `{"data":null,"error":{…,http_code}}`.
// Success bodies are concatenated from JSON text the sandbox already produced, so a
// tool's result is never parsed and re-serialised on the hot path.
import type { Context } from "hono";
import type { RuntimeError } from "../../sandbox/errors.ts";

export const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" } as const;

/** `json` must be JSON text (a tool's result as the sandbox returned it). */
export function dataBody(json: string): string {
  return '{"data":' + json + ',"error":null}';
}

export function errorBody(error: RuntimeError, status: number = error.status): string {
  return JSON.stringify({ data: null, error: { ...error.toBody(), http_code: status } });
}

export function respondJsonText(c: Context, json: string): Response {
  return c.body(dataBody(json), 200, JSON_HEADERS);
}

export function respondData(c: Context, value: unknown): Response {
  return respondJsonText(c, JSON.stringify(value) ?? "null");
}

export function respondError(c: Context, error: RuntimeError, status: number = error.status): Response {
  // Hono's status type is a union of literals; every code's status is a valid one.
  return c.body(errorBody(error, status), status as 400, JSON_HEADERS);
}
