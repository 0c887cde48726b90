// crypto.getRandomValues and crypto.randomUUID, fed by the host's CSPRNG, and
// crypto.subtle's HMAC (importKey "raw", sign, verify), computed by the host: the key
// bytes go out with the data and the MAC comes back, so a key made from a secret's
// placeholder signs with the real secret, which never enters the isolate. Keys are
// never extractable.
import { bytesToLatin1, latin1ToBytes } from "./body.ts";
import { randomBytes, startOp } from "./bridge.ts";

const MAX_BYTES = 65_536;
const HASHES = ["SHA-1", "SHA-256", "SHA-384", "SHA-512"];
const BLOCK_BITS: Record<string, number> = { "SHA-1": 512, "SHA-256": 512, "SHA-384": 1024, "SHA-512": 1024 };
const jsonStringify = JSON.stringify;

function getRandomValues<T extends ArrayBufferView | null>(array: T): T {
  if (!array || !ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView) {
    throw new TypeError("The data argument must be an integer-type TypedArray");
  }
  if (array.byteLength > MAX_BYTES) {
    const err = new Error(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (${MAX_BYTES})`);
    err.name = "QuotaExceededError";
    throw err;
  }
  const bytes = randomBytes(array.byteLength);
  const view = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  for (let i = 0; i < view.length; i++) view[i] = bytes.charCodeAt(i) & 0xff;
  return array;
}

function randomUUID(): string {
  const b = getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  let hex = "";
  for (let i = 0; i < 16; i++) hex += (b[i]! + 0x100).toString(16).slice(1);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function domError(message: string, name: string): Error {
  const Ctor = (globalThis as unknown as { DOMException: new (m: string, n: string) => Error }).DOMException;
  return new Ctor(message, name);
}

/** A copy of a BufferSource's bytes. */
function bytesOf(data: unknown, what: string): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  throw new TypeError(`${what} is not an ArrayBuffer or ArrayBufferView`);
}

function algorithmName(algorithm: unknown): string {
  const name = typeof algorithm === "string" ? algorithm : algorithm !== null && typeof algorithm === "object" ? (algorithm as { name?: unknown }).name : undefined;
  if (typeof name !== "string") throw new TypeError("Algorithm: name is missing");
  return name.toUpperCase();
}

interface KeyData {
  hash: string;
  bytes: string;
  usages: string[];
}

// The key's bytes are kept here, out of reach of the CryptoKey object plugin code holds.
const keys = new WeakMap<object, KeyData>();

class CryptoKey {
  readonly type = "secret";
  readonly extractable = false;
  readonly algorithm: { name: "HMAC"; hash: { name: string }; length: number };
  readonly usages: string[];
  constructor(data: KeyData, length: number) {
    this.algorithm = { name: "HMAC", hash: { name: data.hash }, length };
    this.usages = data.usages.slice();
    keys.set(this, data);
  }
}

async function importKey(format: unknown, keyData: unknown, algorithm: unknown, extractable: unknown, keyUsages: unknown): Promise<CryptoKey> {
  if (format !== "raw") throw domError(`key format ${String(format)} is not supported; only "raw" HMAC keys are`, "NotSupportedError");
  if (algorithmName(algorithm) !== "HMAC") throw domError(`algorithm ${algorithmName(algorithm)} is not supported; only HMAC is`, "NotSupportedError");
  const rawHash = (algorithm as { hash?: unknown }).hash;
  if (rawHash === undefined) throw new TypeError("HmacImportParams: hash is required");
  const hash = algorithmName(rawHash);
  if (!HASHES.includes(hash)) throw domError(`hash ${hash} is not supported; use one of ${HASHES.join(", ")}`, "NotSupportedError");
  if (extractable !== false) throw domError("keys are never extractable in this sandbox: pass extractable false", "NotSupportedError");
  const usages = Array.isArray(keyUsages) ? keyUsages.map(String) : [];
  if (usages.length === 0 || usages.some((u) => u !== "sign" && u !== "verify")) throw domError('an HMAC key may only have the usages "sign" and "verify"', "SyntaxError");
  const bytes = bytesOf(keyData, "keyData");
  if (bytes.length === 0) throw domError("an HMAC key cannot be empty", "DataError");
  return new CryptoKey({ hash, bytes: bytesToLatin1(bytes), usages }, bytes.length * 8 || BLOCK_BITS[hash]!);
}

async function mac(algorithm: unknown, key: unknown, data: unknown, usage: string): Promise<Uint8Array> {
  if (algorithmName(algorithm) !== "HMAC") throw domError(`algorithm ${algorithmName(algorithm)} is not supported; only HMAC is`, "NotSupportedError");
  const k = key !== null && typeof key === "object" ? keys.get(key) : undefined;
  if (k === undefined) throw new TypeError("key is not a CryptoKey");
  if (!k.usages.includes(usage)) throw domError(`the key may not be used to ${usage}`, "InvalidAccessError");
  const { done } = startOp("hmac", jsonStringify({ hash: k.hash, key: k.bytes, data: bytesToLatin1(bytesOf(data, "data")) }));
  return latin1ToBytes(await done);
}

async function sign(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
  const out = await mac(algorithm, key, data, "sign");
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
}

async function verify(algorithm: unknown, key: unknown, signature: unknown, data: unknown): Promise<boolean> {
  const expected = bytesOf(signature, "signature");
  const actual = await mac(algorithm, key, data, "verify");
  if (expected.length !== actual.length) return false;
  let diff = 0;
  for (let i = 0; i < actual.length; i++) diff |= actual[i]! ^ expected[i]!;
  return diff === 0;
}

const subtle = { importKey, sign, verify };

export const cryptoGlobal = { getRandomValues, randomUUID, subtle };
export { CryptoKey };
