// structuredClone: the HTML structured clone of a value into the same realm. It keeps
// identity and cycles, the built-in types the algorithm knows, and refuses the rest
// (functions, symbols, weak collections, promises, platform objects) with DataCloneError.

import { AbortController } from "./abort-controller.ts";
import { DOMException } from "./dom-exception.ts";
import { Event } from "./event.ts";
import { EventTarget } from "./event-target.ts";
import { Headers } from "./headers.ts";
import { TextDecoder } from "./text-decoder.ts";
import { TextEncoder } from "./text-encoder.ts";
import { URL } from "./url/url.ts";
import { URLSearchParams } from "./url/url-search-params.ts";
import { requireArguments } from "./webidl-arguments.ts";

export interface StructuredSerializeOptions {
  transfer?: Iterable<unknown>;
}

type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

// ES2024 ArrayBuffer features that the isolate's V8 has (resizable buffers) or may
// have (transfer, absent on Node 20) and that the ES2023 lib does not declare.
type BufferFeatures = { resizable?: boolean; maxByteLength?: number; transfer?: () => ArrayBuffer };
const ResizableArrayBuffer = ArrayBuffer as unknown as new (
  length: number,
  options: { maxByteLength: number },
) => ArrayBuffer;

function features(buffer: ArrayBuffer): BufferFeatures {
  return buffer as unknown as BufferFeatures;
}

type TypedArrayConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => TypedArray;

const ERROR_CONSTRUCTORS: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

// Objects that hold state outside their own properties and so cannot be copied.
const UNCLONEABLE: Array<abstract new (...args: never[]) => unknown> = [
  Symbol as unknown as abstract new () => symbol,
  WeakMap,
  WeakSet,
  WeakRef,
  FinalizationRegistry,
  Promise,
  EventTarget,
  Event,
  AbortController,
  Headers,
  URL,
  URLSearchParams,
  TextEncoder,
  TextDecoder,
];

function cloneError(what: string): DOMException {
  return new DOMException(`${what} could not be cloned.`, "DataCloneError");
}

// A method of an object literal: it keeps its name through a minifier and, like the
// browser's, is not a constructor.
export const { structuredClone } = {
  structuredClone<T>(value: T, options?: StructuredSerializeOptions): T {
    requireArguments(arguments.length, 1, "structuredClone");
    const memory = new Map<object, unknown>();
    const transferred = transferList(options?.transfer, memory);
    const clone = cloneValue(value, memory) as T;
    // Detach last, so a transferred buffer is still readable while its views are copied.
    for (const buffer of transferred) features(buffer).transfer!();
    return clone;
  },
};

function transferList(transfer: Iterable<unknown> | undefined, memory: Map<object, unknown>): ArrayBuffer[] {
  if (transfer === undefined || transfer === null) return [];
  const buffers: ArrayBuffer[] = [];
  for (const item of transfer) {
    if (!(item instanceof ArrayBuffer)) throw cloneError("A transfer list item other than an ArrayBuffer");
    if (buffers.includes(item)) throw new DOMException("An ArrayBuffer is listed twice.", "DataCloneError");
    if (typeof features(item).transfer !== "function") {
      throw new DOMException("Transferring an ArrayBuffer is not supported here.", "DataCloneError");
    }
    buffers.push(item);
    memory.set(item, cloneBuffer(item));
  }
  return buffers;
}

function cloneBuffer(buffer: ArrayBuffer): ArrayBuffer {
  const { resizable, maxByteLength } = features(buffer);
  const copy = resizable
    ? new ResizableArrayBuffer(buffer.byteLength, { maxByteLength: maxByteLength! })
    : new ArrayBuffer(buffer.byteLength);
  new Uint8Array(copy).set(new Uint8Array(buffer));
  return copy;
}

function cloneValue(value: unknown, memory: Map<object, unknown>): unknown {
  if (typeof value === "symbol") throw cloneError(`Symbol ${value.description ?? ""}`.trim());
  if (typeof value === "function") throw cloneError(`function ${value.name || "anonymous"}`);
  if (typeof value !== "object" || value === null) return value;
  if (memory.has(value)) return memory.get(value);

  if (value instanceof Date) return remember(memory, value, new Date(value.getTime()));
  if (value instanceof RegExp) return remember(memory, value, new RegExp(value.source, value.flags));
  if (value instanceof ArrayBuffer) return remember(memory, value, cloneBuffer(value));
  if (ArrayBuffer.isView(value)) {
    // Shared memory (reachable through WebAssembly.Memory) is never copied.
    if (!(value.buffer instanceof ArrayBuffer)) throw cloneError("A view on shared memory");
    const buffer = cloneValue(value.buffer, memory) as ArrayBuffer;
    const view =
      value instanceof DataView
        ? new DataView(buffer, value.byteOffset, value.byteLength)
        : new (value.constructor as TypedArrayConstructor)(buffer, value.byteOffset, (value as TypedArray).length);
    return remember(memory, value, view);
  }
  if (value instanceof Boolean || value instanceof Number || value instanceof String || value instanceof BigInt) {
    return remember(memory, value, Object(value.valueOf()));
  }
  if (value instanceof Map) {
    const map = remember(memory, value, new Map());
    for (const [key, entry] of [...value]) map.set(cloneValue(key, memory), cloneValue(entry, memory));
    return map;
  }
  if (value instanceof Set) {
    const set = remember(memory, value, new Set());
    for (const entry of [...value]) set.add(cloneValue(entry, memory));
    return set;
  }
  if (value instanceof DOMException) {
    return remember(memory, value, new DOMException(value.message, value.name));
  }
  if (value instanceof Error) return cloneErrorObject(value, memory);
  for (const type of UNCLONEABLE) if (value instanceof type) throw cloneError(`#<${type.name}>`);
  const wasm = (globalThis as { WebAssembly?: Record<string, abstract new () => unknown> }).WebAssembly;
  if (wasm !== undefined && (value instanceof wasm.Module! || value instanceof wasm.Memory!)) {
    throw cloneError("A WebAssembly object");
  }

  const copy = remember(memory, value, Array.isArray(value) ? new Array<unknown>(value.length) : {});
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    defineData(copy as Record<string, unknown>, key, cloneValue(source[key], memory));
  }
  return copy;
}

function cloneErrorObject(error: Error, memory: Map<object, unknown>): Error {
  const name = error.name;
  const Constructor = Object.hasOwn(ERROR_CONSTRUCTORS, name) ? ERROR_CONSTRUCTORS[name]! : Error;
  const copy = remember(memory, error, new Constructor());
  const hidden = { writable: true, configurable: true, enumerable: false };
  if (Object.hasOwn(error, "message")) {
    Object.defineProperty(copy, "message", { ...hidden, value: String(error.message) });
  }
  if (typeof error.stack === "string") Object.defineProperty(copy, "stack", { ...hidden, value: error.stack });
  if (Object.hasOwn(error, "cause")) {
    Object.defineProperty(copy, "cause", { ...hidden, value: cloneValue(error.cause, memory) });
  }
  return copy;
}

function remember<T>(memory: Map<object, unknown>, original: object, copy: T): T {
  memory.set(original, copy);
  return copy;
}

// Plain assignment would run the "__proto__" setter instead of making a property.
function defineData(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
