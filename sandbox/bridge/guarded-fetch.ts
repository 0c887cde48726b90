// The one HTTP client of the sandbox bridge and of install downloads (SPEC §4, §9.6).
// Redirects are followed here, hop by hop, so each hop's URL meets the origin policy
// and each new connection meets the address policy (in the guarded agent). One
// deadline covers the whole exchange, body included, so an upstream that trickles
// bytes is cut off; the response body is counted as it streams.
import { fetch as undiciFetch, type Dispatcher } from "undici";
import { RuntimeError } from "../errors.ts";
import type { FetchOptions } from "../options.ts";
import { createGuardedAgent } from "./guarded-agent.ts";
import { OriginPolicy } from "./origin-policy.ts";

export type HeaderList = [string, string][];

export interface GuardedRequest {
  url: string | URL;
  /** Default GET. */
  method?: string;
  headers?: Iterable<readonly [string, string]> | Record<string, string>;
  body?: Uint8Array | string | null;
  /** As in fetch: follow (default), manual (return the 3xx as is) or error. */
  redirect?: "follow" | "manual" | "error";
  /** Aborting it rejects the fetch (or errors the body) with the signal's reason. */
  signal?: AbortSignal;
}

export type FetchLimits = Pick<FetchOptions, "max_redirects" | "max_response_bytes" | "max_request_bytes" | "timeout_ms">;

export interface GuardedFetchOptions extends FetchLimits {
  /** A guarded agent (createGuardedAgent); never undici's global dispatcher. */
  dispatcher: Dispatcher;
}

/** A response body: read it once, whole (`readAll`) or as chunks (`for await`). */
export interface GuardedBody extends AsyncIterable<Uint8Array> {
  readAll(): Promise<Uint8Array>;
  /** Drops the rest of the body and frees the connection. */
  cancel(): Promise<void>;
  /** Bytes delivered so far. */
  readonly bytesRead: number;
}

export interface GuardedResponse {
  status: number;
  statusText: string;
  /** The final URL, after redirects. */
  url: string;
  redirected: boolean;
  /** Lower-case names; repeated headers (set-cookie) appear once per value. */
  headers: HeaderList;
  body: GuardedBody;
}

/** Which rule a `FetchDenied` broke, in `error.data.rule`. */
export type FetchRule = "origin" | "address" | "request" | "redirects" | "timeout" | "response_bytes";

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// Callers may not set these: they decide where and how the bytes go on the wire.
const REFUSED_REQUEST_HEADERS = new Set(["host", "connection", "transfer-encoding"]);
// Hop-by-hop (RFC 9110 §7.6.1) or meaningless without a proxy: dropped, never sent.
const HOP_BY_HOP_HEADERS = new Set([
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "connection",
  "expect",
]);
// Credentials that must not follow a redirect to another origin.
const CROSS_ORIGIN_DROPPED_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);
const BODY_HEADERS = new Set(["content-type", "content-length", "content-encoding", "content-language", "content-location"]);
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
const NORMALISED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export async function guardedFetch(
  request: GuardedRequest,
  policy: OriginPolicy,
  options: GuardedFetchOptions,
): Promise<GuardedResponse> {
  let url = parseRequestUrl(request.url);
  policy.assertAllowed(url);
  let method = normaliseMethod(request.method ?? "GET", url);
  let body = encodeBody(request.body, method, url, options.max_request_bytes);
  let headers = sanitiseRequestHeaders(request.headers, body, url);
  const redirectMode = request.redirect ?? "follow";

  const deadline = new Deadline(options.timeout_ms, request.signal, url);
  try {
    for (let hop = 0; ; hop++) {
      const response = await undiciFetch(url, {
        method,
        headers,
        body,
        redirect: "manual",
        dispatcher: options.dispatcher,
        signal: deadline.signal,
      }).catch((err: unknown) => {
        throw deadline.explain(err, url);
      });

      const location = response.headers.get("location");
      if (!REDIRECT_STATUSES.has(response.status) || location === null || redirectMode === "manual") {
        return {
          status: response.status,
          statusText: response.statusText,
          url: url.href,
          redirected: hop > 0,
          headers: responseHeaders(response.headers),
          body: new CappedBody(response.body, options.max_response_bytes, deadline, url),
        };
      }
      await response.body?.cancel().catch(() => undefined);
      if (redirectMode === "error") throw denied(url, "the response is a redirect and redirect mode is error", "redirects");
      if (hop >= options.max_redirects) throw denied(url, `more than ${options.max_redirects} redirects`, "redirects");

      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw denied(url, `redirect to an invalid URL (${location.slice(0, 200)})`, "redirects");
      }
      policy.assertAllowed(next);

      // The method and body rewrite rules of fetch (WHATWG Fetch, HTTP-redirect fetch).
      if ((response.status === 303 && method !== "HEAD") || ((response.status === 301 || response.status === 302) && method === "POST")) {
        method = "GET";
        body = null;
        headers = headers.filter(([name]) => !BODY_HEADERS.has(name));
      }
      if (next.origin !== url.origin) headers = headers.filter(([name]) => !CROSS_ORIGIN_DROPPED_HEADERS.has(name));
      url = next;
    }
  } catch (err) {
    deadline.dispose();
    throw err;
  }
}

export interface DownloadOptions {
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
  allowPrivateNetwork?: boolean;
  /** Origins (as in `allow_private_origins`) that may be private addresses. */
  allowPrivateOrigins?: readonly string[];
  /** Origins never downloaded from (the operator's `deny_origins`). */
  denyOrigins?: readonly string[];
  maxRedirects?: number;
  /** Defaults to a guarded agent made (and closed) for this download. */
  dispatcher?: Dispatcher;
}

/**
 * Downloads an install source whole. Policy refusals are `FetchDenied`; network
 * errors, timeouts, HTTP error statuses and oversize bodies are `DownloadFailed`.
 */
export async function downloadToBuffer(url: string | URL, options: DownloadOptions): Promise<Buffer> {
  const ownAgent =
    options.dispatcher === undefined
      ? createGuardedAgent({
          allow_private_network: options.allowPrivateNetwork ?? false,
          allow_private_origins: [...(options.allowPrivateOrigins ?? [])],
          connectTimeoutMs: Math.min(options.timeoutMs, 10_000),
        })
      : null;
  const where = typeof url === "string" ? url : url.href;
  try {
    const response = await guardedFetch(
      { url, signal: options.signal },
      OriginPolicy.anyOrigin(options.denyOrigins ?? []),
      {
        dispatcher: options.dispatcher ?? (ownAgent as Dispatcher),
        max_redirects: options.maxRedirects ?? 5,
        max_response_bytes: options.maxBytes,
        max_request_bytes: 0,
        timeout_ms: options.timeoutMs,
      },
    );
    if (response.status < 200 || response.status > 299) {
      await response.body.cancel();
      throw new RuntimeError("DownloadFailed", `download of ${response.url} failed: HTTP ${response.status} ${response.statusText}`.trim(), {
        data: { url: response.url, status: response.status },
      });
    }
    const bytes = await response.body.readAll();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (err) {
    throw asDownloadError(err, where);
  } finally {
    await ownAgent?.destroy().catch(() => undefined);
  }
}

/** The body of a response, counted against the byte cap and bound to the deadline. */
class CappedBody implements GuardedBody {
  #stream: ReadableStream<Uint8Array> | null;
  #used = false;
  #bytesRead = 0;

  constructor(
    stream: ReadableStream<Uint8Array> | null,
    private readonly maxBytes: number,
    private readonly deadline: Deadline,
    private readonly url: URL,
  ) {
    this.#stream = stream;
    // Nothing to read: the deadline has no more work to guard.
    if (stream === null) deadline.dispose();
  }

  get bytesRead(): number {
    return this.#bytesRead;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.#used) throw new TypeError("response body already read");
    this.#used = true;
    const stream = this.#stream;
    if (stream === null) return;
    const reader = stream.getReader();
    let finished = false;
    try {
      while (true) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          throw this.deadline.explain(err, this.url);
        }
        if (chunk.done) {
          finished = true;
          return;
        }
        this.#bytesRead += chunk.value.byteLength;
        if (this.#bytesRead > this.maxBytes) {
          throw denied(this.url, `response larger than ${this.maxBytes} bytes`, "response_bytes");
        }
        yield chunk.value;
      }
    } finally {
      // Stopped early (error, cap, or the reader broke off): drop the connection.
      if (!finished) await reader.cancel().catch(() => undefined);
      this.deadline.dispose();
    }
  }

  async readAll(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this) chunks.push(chunk);
    if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
    const all = new Uint8Array(this.#bytesRead);
    let offset = 0;
    for (const chunk of chunks) {
      all.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return all;
  }

  async cancel(): Promise<void> {
    if (!this.#used) {
      this.#used = true;
      await this.#stream?.cancel().catch(() => undefined);
    }
    this.deadline.dispose();
  }
}

/**
 * One time limit for a whole exchange plus the caller's signal, as one AbortSignal,
 * and the translation of whatever undici throws into the error the caller should see.
 */
class Deadline {
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #external: AbortSignal | undefined;
  readonly #onExternalAbort = (): void => this.#controller.abort(this.#external?.reason);
  #timedOut = false;

  constructor(
    private readonly timeoutMs: number,
    external: AbortSignal | undefined,
    url: URL,
  ) {
    this.signal = this.#controller.signal;
    this.#external = external;
    if (external?.aborted) throw external.reason;
    external?.addEventListener("abort", this.#onExternalAbort, { once: true });
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort(denied(url, `took longer than ${timeoutMs} ms`, "timeout"));
    }, timeoutMs);
    // A body nobody reads must not keep the process alive; the timer still aborts it.
    this.#timer.unref();
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#external?.removeEventListener("abort", this.#onExternalAbort);
  }

  explain(err: unknown, url: URL): unknown {
    if (this.#timedOut) return denied(url, `took longer than ${this.timeoutMs} ms`, "timeout");
    if (this.#external?.aborted) return this.#external.reason;
    const policyError = findRuntimeError(err);
    if (policyError !== null) return withUrl(policyError, url);
    const cause = rootCause(err);
    return new RuntimeError("DownloadFailed", `fetch ${url.href} failed: ${describeNetworkError(cause)}`, {
      data: { url: url.href },
      cause,
    });
  }
}

function denied(url: URL, reason: string, rule: FetchRule): RuntimeError {
  return new RuntimeError("FetchDenied", `fetch ${url.href} refused: ${reason}`, { data: { url: url.href, reason, rule } });
}

function parseRequestUrl(input: string | URL): URL {
  try {
    return new URL(input);
  } catch {
    const shown = String(input).slice(0, 200);
    throw new RuntimeError("FetchDenied", `fetch refused: invalid URL (${shown})`, {
      data: { url: shown, reason: "invalid URL", rule: "request" },
    });
  }
}

function normaliseMethod(method: string, url: URL): string {
  if (!TOKEN.test(method)) throw denied(url, `invalid method ${JSON.stringify(method.slice(0, 40))}`, "request");
  const upper = method.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) throw denied(url, `the ${upper} method is not allowed`, "request");
  return NORMALISED_METHODS.has(upper) ? upper : method;
}

function encodeBody(body: Uint8Array | string | null | undefined, method: string, url: URL, maxBytes: number): Uint8Array | null {
  if (body === null || body === undefined) return null;
  if (method === "GET" || method === "HEAD") throw denied(url, `a ${method} request cannot have a body`, "request");
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  if (bytes.byteLength > maxBytes) throw denied(url, `request body larger than ${maxBytes} bytes`, "request");
  return bytes;
}

function sanitiseRequestHeaders(
  input: GuardedRequest["headers"],
  body: Uint8Array | null,
  url: URL,
): HeaderList {
  const entries: Iterable<readonly [string, string]> =
    input === undefined ? [] : Symbol.iterator in input ? (input as Iterable<readonly [string, string]>) : Object.entries(input);
  const headers: HeaderList = [];
  for (const [rawName, rawValue] of entries) {
    const name = String(rawName).toLowerCase();
    const value = String(rawValue).trim();
    if (!TOKEN.test(name)) throw denied(url, `invalid header name ${JSON.stringify(name.slice(0, 60))}`, "request");
    if (/[\r\n\0]/.test(value)) throw denied(url, `invalid value for header ${name}`, "request");
    if (REFUSED_REQUEST_HEADERS.has(name)) throw denied(url, `the ${name} header may not be set`, "request");
    if (name === "content-length") {
      // undici computes it from the body; a different value would be a lie on the wire.
      const length = body?.byteLength ?? 0;
      if (value !== String(length)) throw denied(url, `content-length ${value} does not match the body's ${length} bytes`, "request");
      continue;
    }
    if (HOP_BY_HOP_HEADERS.has(name)) continue;
    headers.push([name, value]);
  }
  return headers;
}

function responseHeaders(headers: Headers): HeaderList {
  // Headers named by `Connection` are hop-by-hop for this response too.
  const named = new Set(
    (headers.get("connection") ?? "")
      .split(",")
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ""),
  );
  const list: HeaderList = [];
  for (const [name, value] of headers) {
    if (!HOP_BY_HOP_HEADERS.has(name) && !named.has(name)) list.push([name, value]);
  }
  return list;
}

function findRuntimeError(err: unknown): RuntimeError | null {
  for (let current = err, depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    if (current instanceof RuntimeError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

function rootCause(err: unknown): unknown {
  let current = err;
  for (let depth = 0; depth < 8; depth++) {
    const cause = (current as { cause?: unknown } | null)?.cause;
    if (cause === undefined || cause === null) break;
    current = cause;
  }
  return current;
}

function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return code !== undefined && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}

// The guarded agent refuses by origin; name the full URL of the hop that was refused.
function withUrl(err: RuntimeError, url: URL): RuntimeError {
  if (err.code !== "FetchDenied") return err;
  const data = (err.data ?? {}) as Record<string, unknown>;
  const reason = typeof data["reason"] === "string" ? data["reason"] : err.message;
  return new RuntimeError("FetchDenied", `fetch ${url.href} refused: ${reason}`, {
    data: { ...data, url: url.href, reason },
  });
}

const DOWNLOAD_FAILURE_RULES = new Set<unknown>(["timeout", "response_bytes", "redirects"]);

function asDownloadError(err: unknown, where: string): unknown {
  if (!(err instanceof RuntimeError)) return err;
  const data = (err.data ?? {}) as Record<string, unknown>;
  if (err.code !== "FetchDenied" || !DOWNLOAD_FAILURE_RULES.has(data["rule"])) return err;
  const reason = typeof data["reason"] === "string" ? data["reason"] : err.message;
  return new RuntimeError("DownloadFailed", `download of ${where} failed: ${reason}`, { data, cause: err });
}
