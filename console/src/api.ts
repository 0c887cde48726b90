// The console's one way to the /v1 API: every call carries the signed-in token, answers
// are unwrapped from the `{data, error}` envelope, and streams (a tool's chunks, a job's
// status changes) are read from server-sent events as they arrive.

export interface ApiError {
  code: string;
  message: string;
  data?: unknown;
  http_code: number;
}

export class ApiFailure extends Error {
  readonly error: ApiError;
  /** The failed response's headers (a tool call's receipt is among them). */
  readonly headers: Headers | undefined;
  constructor(error: ApiError, headers?: Headers) {
    super(`${error.code}: ${error.message}`);
    this.error = error;
    this.headers = headers;
  }
}

const TOKEN_KEY = "hiagent-console-token";

/** The bearer token lives in this tab's session storage only, never in local storage or a cookie. */
export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = token.get();
  return t === null ? extra : { ...extra, authorization: `Bearer ${t}` };
}

async function failureOf(response: Response): Promise<ApiFailure> {
  try {
    const body = (await response.json()) as { error?: ApiError | null };
    if (body.error) return new ApiFailure(body.error, response.headers);
  } catch {
    // not an envelope: fall through
  }
  return new ApiFailure({ code: "HTTP" + response.status, message: response.statusText || "request failed", http_code: response.status }, response.headers);
}

export interface Answer<T> {
  data: T;
  headers: Headers;
}

/** POST /v1/<operation> with a JSON body (or raw bytes); the `data` of the answer, or an ApiFailure. */
export async function call<T>(operation: string, body: unknown = {}, init: { signal?: AbortSignal } = {}): Promise<Answer<T>> {
  const response = await fetch(`/v1/${operation}`, {
    method: "POST",
    headers: headers({ "content-type": "application/json" }),
    body: JSON.stringify(body),
    signal: init.signal ?? null,
  });
  if (!response.ok) throw await failureOf(response);
  const envelope = (await response.json()) as { data: T };
  return { data: envelope.data, headers: response.headers };
}

export async function upload<T>(path: string, file: Blob): Promise<T> {
  const response = await fetch(path, { method: "POST", headers: headers({ "content-type": "application/zip" }), body: file });
  if (!response.ok) throw await failureOf(response);
  return ((await response.json()) as { data: T }).data;
}

export async function get<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw await failureOf(response);
  return ((await response.json()) as { data: T }).data;
}

export interface StreamHandlers<T> {
  onChunk(chunk: T): void;
  /** The response's headers, once they arrive (a stream answer carries no usage receipt). */
  onHeaders?(headers: Headers): void;
}

/**
 * POSTs and reads the answer as server-sent events, calling `onChunk` for each
 * `data` event as it arrives. A plain JSON answer (a tool that failed before its first
 * chunk, or one that does not stream) counts as one chunk or one failure.
 */
export async function stream<T>(operation: string, body: unknown, handlers: StreamHandlers<T>, signal?: AbortSignal): Promise<void> {
  const response = await fetch(`/v1/${operation}`, {
    method: "POST",
    headers: headers({ "content-type": "application/json", accept: "text/event-stream" }),
    body: JSON.stringify(body),
    signal: signal ?? null,
  });
  handlers.onHeaders?.(response.headers);
  if (!response.ok) throw await failureOf(response);
  if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    handlers.onChunk(((await response.json()) as { data: T }).data);
    return;
  }
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = event.split("\n");
      if (lines.some((l) => l === "event: end")) return;
      const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
      if (data === "") continue;
      const envelope = JSON.parse(data) as { data: T; error: ApiError | null };
      if (envelope.error) throw new ApiFailure(envelope.error);
      handlers.onChunk(envelope.data);
    }
  }
}

/** `X-Plugin-Usage: cpu_ms=1.2; wall_ms=3.4; …` as numbers by name. */
export function parseUsage(header: string | null): Record<string, number> | null {
  if (header === null || header === "") return null;
  const out: Record<string, number> = {};
  for (const part of header.split(";")) {
    const [key, value] = part.split("=").map((s) => s.trim());
    if (key && value !== undefined && value !== "") out[key] = Number(value);
  }
  return out;
}
