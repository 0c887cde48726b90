// Bodies of Request and Response inside the isolate: in-memory bytes, or a body the
// host streams in chunk by chunk (a fetch response), read whole or through a reader.
import { forgetOp, signalOp, startOp } from "./bridge.ts";

const Uint8ArrayCtor = Uint8Array;
const fromCharCode = String.fromCharCode;

export function latin1ToBytes(s: string): Uint8Array {
  const out = new Uint8ArrayCtor(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function bytesToLatin1(bytes: Uint8Array): string {
  let out = "";
  const step = 8192;
  for (let i = 0; i < bytes.length; i += step) {
    out += fromCharCode.apply(null, Array.from(bytes.subarray(i, i + step)));
  }
  return out;
}

export function utf8Encode(text: string): Uint8Array {
  return new (globalThis as unknown as { TextEncoder: new () => { encode(s: string): Uint8Array } }).TextEncoder().encode(text);
}

export function utf8Decode(bytes: Uint8Array): string {
  return new (globalThis as unknown as { TextDecoder: new () => { decode(b: Uint8Array): string } }).TextDecoder().decode(bytes);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8ArrayCtor(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface ReadResult {
  done: boolean;
  value: Uint8Array | undefined;
}

/** A minimal ReadableStream of bytes: `getReader()`, async iteration, `cancel()`. */
export class ByteStream {
  #pull: () => Promise<Uint8Array | null>;
  #cancel: () => void;
  #done = false;
  locked = false;

  constructor(pull: () => Promise<Uint8Array | null>, cancel: () => void) {
    this.#pull = pull;
    this.#cancel = cancel;
  }

  async read(): Promise<ReadResult> {
    if (this.#done) return { done: true, value: undefined };
    const chunk = await this.#pull();
    if (chunk === null) {
      this.#done = true;
      return { done: true, value: undefined };
    }
    return { done: false, value: chunk };
  }

  getReader(): { read(): Promise<ReadResult>; cancel(): Promise<void>; releaseLock(): void; closed: Promise<void> } {
    if (this.locked) throw new TypeError("ReadableStream is locked");
    this.locked = true;
    return {
      read: () => this.read(),
      cancel: () => this.cancel(),
      releaseLock: () => {
        this.locked = false;
      },
      closed: Promise.resolve(),
    };
  }

  async cancel(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#cancel();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      const { done, value } = await this.read();
      if (done || !value) return;
      yield value;
    }
  }
}

/** A body the host streams: each read is one host operation. */
export function hostBodyStream(bodyId: string, callId: string): ByteStream {
  let current: string | null = null;
  return new ByteStream(
    async () => {
      const op = startOp("body_read", bodyId, callId);
      current = op.id;
      const payload = await op.done;
      current = null;
      if (payload.length === 0 || payload.charCodeAt(0) === 101 /* e */) return null;
      return latin1ToBytes(payload.slice(1));
    },
    () => {
      if (current) forgetOp(current);
      signalOp("body_cancel", bodyId, callId);
    },
  );
}

export function bytesStream(bytes: Uint8Array): ByteStream {
  let sent = false;
  return new ByteStream(
    async () => {
      if (sent) return null;
      sent = true;
      return bytes;
    },
    () => {},
  );
}

export type BodyInit = string | Uint8Array | ArrayBuffer | ArrayBufferView | { toString(): string } | null | undefined;

/** Turns a BodyInit into bytes plus the content type it implies. */
export function encodeBody(body: BodyInit): { bytes: Uint8Array | null; type: string | null } {
  if (body === null || body === undefined) return { bytes: null, type: null };
  if (typeof body === "string") return { bytes: utf8Encode(body), type: "text/plain;charset=UTF-8" };
  if (body instanceof Uint8ArrayCtor) return { bytes: body, type: null };
  if (body instanceof ArrayBuffer) return { bytes: new Uint8ArrayCtor(body), type: null };
  if (ArrayBuffer.isView(body)) return { bytes: new Uint8ArrayCtor(body.buffer, body.byteOffset, body.byteLength), type: null };
  const URLSearchParamsCtor = (globalThis as unknown as { URLSearchParams?: new () => object }).URLSearchParams;
  if (URLSearchParamsCtor && body instanceof URLSearchParamsCtor) {
    return { bytes: utf8Encode(String(body)), type: "application/x-www-form-urlencoded;charset=UTF-8" };
  }
  return { bytes: utf8Encode(String(body)), type: "text/plain;charset=UTF-8" };
}

/** Shared body-reading methods of Request and Response. */
export class BodyMixin {
  #stream: ByteStream | null;
  #used = false;

  constructor(stream: ByteStream | null) {
    this.#stream = stream;
  }

  get body(): ByteStream | null {
    return this.#stream;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  async bytes(): Promise<Uint8Array> {
    if (this.#used) throw new TypeError("Body has already been consumed");
    this.#used = true;
    if (!this.#stream) return new Uint8ArrayCtor(0);
    const parts: Uint8Array[] = [];
    for await (const chunk of this.#stream) parts.push(chunk);
    return concatBytes(parts);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = await this.bytes();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return utf8Decode(await this.bytes());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}
