// fetch, Request and Response inside the isolate. The request is handed to the host
// as JSON text (bytes as a latin1 string); the host applies the package's network
// policy and answers with the response head and a body it streams on demand.
import { signalOp, startOp } from "./bridge.ts";
import { BodyMixin, type BodyInit, ByteStream, bytesStream, bytesToLatin1, encodeBody, hostBodyStream } from "./body.ts";

interface HeadersLike {
  get(name: string): string | null;
  set(name: string, value: string): void;
  has(name: string): boolean;
  forEach(fn: (value: string, name: string) => void): void;
}
type HeadersCtor = new (init?: unknown) => HeadersLike;
interface SignalLike {
  aborted: boolean;
  reason: unknown;
  addEventListener(type: string, fn: () => void, opts?: { once?: boolean }): void;
  removeEventListener(type: string, fn: () => void): void;
}

const g = globalThis as unknown as { Headers: HeadersCtor; URL: new (u: string, base?: string) => { href: string } };
const jsonStringify = JSON.stringify;
const jsonParse = JSON.parse;

function headersOf(init: unknown): HeadersLike {
  return new g.Headers(init);
}

export interface RequestInit {
  method?: string;
  headers?: unknown;
  body?: BodyInit;
  redirect?: "follow" | "manual" | "error";
  signal?: SignalLike | null;
}

export class Request extends BodyMixin {
  readonly url: string;
  readonly method: string;
  readonly headers: HeadersLike;
  readonly redirect: "follow" | "manual" | "error";
  readonly signal: SignalLike | null;
  /** The request body as bytes, kept for the host hand-off. */
  readonly _bytes: Uint8Array | null;

  constructor(input: string | { href: string } | Request, init: RequestInit = {}) {
    const base = input instanceof Request ? input : null;
    const bodyInit = init.body !== undefined ? init.body : base ? base._bytes : null;
    const { bytes, type } = encodeBody(bodyInit);
    super(bytes ? bytesStream(bytes) : null);
    this.url = new g.URL(base ? base.url : typeof input === "string" ? input : input.href).href;
    this.method = (init.method ?? base?.method ?? "GET").toUpperCase();
    this.headers = headersOf(init.headers ?? base?.headers ?? undefined);
    if (type && !this.headers.has("content-type")) this.headers.set("content-type", type);
    this.redirect = init.redirect ?? base?.redirect ?? "follow";
    this.signal = init.signal ?? base?.signal ?? null;
    this._bytes = bytes;
    if ((this.method === "GET" || this.method === "HEAD") && bytes) {
      throw new TypeError("Request with GET/HEAD method cannot have body.");
    }
  }
}

export interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: unknown;
}

export class Response extends BodyMixin {
  readonly status: number;
  readonly statusText: string;
  readonly headers: HeadersLike;
  readonly url: string;
  readonly redirected: boolean;
  readonly type: string;

  constructor(body?: BodyInit | ByteStream, init: ResponseInit & { url?: string; redirected?: boolean } = {}) {
    let stream: ByteStream | null = null;
    let type: string | null = null;
    if (body instanceof ByteStream) {
      stream = body;
    } else {
      const enc = encodeBody(body);
      stream = enc.bytes ? bytesStream(enc.bytes) : null;
      type = enc.type;
    }
    super(stream);
    this.status = init.status ?? 200;
    if (this.status < 200 || this.status > 599) throw new RangeError(`Invalid response status ${this.status}`);
    this.statusText = init.statusText ?? "";
    this.headers = headersOf(init.headers);
    if (type && !this.headers.has("content-type")) this.headers.set("content-type", type);
    this.url = init.url ?? "";
    this.redirected = init.redirected ?? false;
    this.type = init.url ? "basic" : "default";
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  static json(data: unknown, init: ResponseInit = {}): Response {
    const headers = headersOf(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(jsonStringify(data), { ...init, headers });
  }
}

interface HostResponseHead {
  status: number;
  statusText: string;
  url: string;
  redirected: boolean;
  headers: [string, string][];
  body: string | null;
}

function abortError(reason: unknown): unknown {
  if (reason !== undefined) return reason;
  const err = new Error("This operation was aborted");
  err.name = "AbortError";
  return err;
}

/** Makes a fetch whose requests are counted against the given call. */
export function makeFetch(callIdOf: () => string, callSignal: () => SignalLike | null) {
  return async function fetch(input: string | { href: string } | Request, init?: RequestInit): Promise<Response> {
    const req = input instanceof Request && init === undefined ? input : new Request(input, init);
    const callId = callIdOf();
    const signals = [req.signal, callSignal()].filter((s): s is SignalLike => s !== null);
    for (const s of signals) if (s.aborted) throw abortError(s.reason);
    const headers: [string, string][] = [];
    req.headers.forEach((value, name) => headers.push([name, value]));
    const payload = jsonStringify({
      url: req.url,
      method: req.method,
      headers,
      body: req._bytes ? bytesToLatin1(req._bytes) : null,
      redirect: req.redirect,
    });
    const op = startOp("fetch", payload, callId);
    const onAbort = () => signalOp("fetch_abort", op.id, callId);
    for (const s of signals) s.addEventListener("abort", onAbort, { once: true });
    let head: HostResponseHead;
    try {
      head = jsonParse(await op.done) as HostResponseHead;
    } catch (err) {
      const aborted = signals.find((s) => s.aborted);
      throw aborted ? abortError(aborted.reason) : err;
    } finally {
      for (const s of signals) s.removeEventListener("abort", onAbort);
    }
    const body = head.body === null ? null : hostBodyStream(head.body, callId);
    return new Response(body ?? undefined, {
      status: head.status,
      statusText: head.statusText,
      headers: head.headers,
      url: head.url,
      redirected: head.redirected,
    });
  };
}
