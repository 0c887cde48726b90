// crypto.getRandomValues and crypto.randomUUID, fed by the host's CSPRNG.
import { randomBytes } from "./bridge.ts";

const MAX_BYTES = 65_536;

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

export const cryptoGlobal = { getRandomValues, randomUUID };
