// Reads and rewrites the memories a WebAssembly module defines (its memory section,
// id 5), so a module's own memory gets a `maximum` the isolate can afford before V8
// ever allocates it. Imported memories are not here: they are WebAssembly.Memory
// objects, made (and capped) by the constructor in webassembly.ts.
//
// The source is copied first and V8 compiles that copy, so what is judged here is
// exactly what is compiled, whatever the plugin passed (a view, a proxy) or patched.
// Only intrinsics captured before plugin code runs are used on it.

/** One memory the module defines, in 64 KiB pages. */
export interface DefinedMemory {
  initial: number;
  /** The module's own maximum, or null when it has none. */
  maximum: number | null;
  shared: boolean;
  /** 64-bit addressed (memory64). */
  wide: boolean;
}

const MEMORY_SECTION = 5;
const HAS_MAX = 0x01;
const SHARED = 0x02;
const WIDE = 0x04;

const U8 = Uint8Array;
const ArrayBufferCtor = ArrayBuffer;
const RangeErrorCtor = RangeError;
const reflectApply = Reflect.apply;
const isView = ArrayBuffer.isView;
const floor = Math.floor;
const typedProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const describe = Object.getOwnPropertyDescriptor;
const defineProperty = Object.defineProperty;
const lengthGetter = describe(typedProto, "length")!.get!;
const bufferGetter = describe(typedProto, "buffer")!.get!;
const offsetGetter = describe(typedProto, "byteOffset")!.get!;
const byteLengthGetter = describe(typedProto, "byteLength")!.get!;
const u8Set = U8.prototype.set;
const u8Subarray = U8.prototype.subarray;

const lengthOf = (a: Uint8Array): number => reflectApply(lengthGetter, a, []) as number;

/** A private copy of the module's bytes, or null when `source` is no buffer at all. */
function copyOf(source: unknown): Uint8Array | null {
  try {
    if (source instanceof ArrayBufferCtor) return new U8(new U8(source));
    if (isView(source)) {
      const view = new U8(reflectApply(bufferGetter, source, []) as ArrayBuffer, reflectApply(offsetGetter, source, []) as number, reflectApply(byteLengthGetter, source, []) as number);
      return new U8(view);
    }
  } catch {
    // A DataView, a detached buffer: V8 says what is wrong with it.
  }
  return null;
}

/** Where the last `readLeb` stopped (no tuples: array destructuring runs the patchable Array iterator). */
let after = 0;

/** An unsigned LEB128 at `at` (up to 2^53); sets `after`. */
function readLeb(bytes: Uint8Array, at: number, n: number): number {
  let value = 0;
  let scale = 1;
  for (let i = at; i < n && i < at + 10; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) {
      after = i + 1;
      return value;
    }
  }
  throw new RangeErrorCtor("malformed WebAssembly module");
}

/** Writes `value` as LEB128 into `out` at `at`; returns the offset after it. */
function writeLeb(value: number, out: Uint8Array, at: number): number {
  let v = value;
  let i = at;
  do {
    let byte = v % 128;
    v = floor(v / 128);
    if (v > 0) byte |= 0x80;
    out[i++] = byte;
  } while (v > 0);
  return i;
}

interface MemorySection {
  /** Offsets of the section: its id byte and its end. */
  start: number;
  end: number;
  memories: DefinedMemory[];
}

function findMemorySection(bytes: Uint8Array, n: number): MemorySection | null {
  let at = 8; // magic and version
  while (at < n) {
    const id = bytes[at]!;
    const size = readLeb(bytes, at + 1, n);
    const end = after + size;
    if (end > n) throw new RangeErrorCtor("malformed WebAssembly module");
    if (id === MEMORY_SECTION) {
      const memories: DefinedMemory[] = [];
      const count = readLeb(bytes, after, n);
      let p = after;
      if (count > 100) throw new RangeErrorCtor("malformed WebAssembly module");
      for (let k = 0; k < count; k++) {
        const flags = bytes[p++] ?? 0;
        const initial = readLeb(bytes, p, n);
        p = after;
        let maximum: number | null = null;
        if ((flags & HAS_MAX) !== 0) {
          maximum = readLeb(bytes, p, n);
          p = after;
        }
        // Defined, not assigned: an index setter on Array.prototype must not see it.
        defineProperty(memories, k, { value: { initial, maximum, shared: (flags & SHARED) !== 0, wide: (flags & WIDE) !== 0 }, enumerable: true, writable: true, configurable: true });
      }
      return { start: at, end, memories };
    }
    at = end;
  }
  return null;
}

/**
 * A private copy of the module's bytes with each defined memory's maximum set to
 * `maximum(memory)` pages, the memories as the module declared them, and the private
 * copy as it came (to cap again later). Not a buffer at all: `source` as given, for V8
 * to reject.
 */
export function capDefinedMemories(
  source: unknown,
  maximum: (memory: DefinedMemory, index: number) => number,
): { bytes: unknown; memories: DefinedMemory[]; original: Uint8Array | null } {
  const bytes = copyOf(source);
  if (bytes === null) return { bytes: source, memories: [], original: null };
  const n = lengthOf(bytes);
  const section = n < 8 ? null : findMemorySection(bytes, n);
  if (section === null || section.memories.length === 0) return { bytes, memories: [], original: bytes };
  const count = section.memories.length;
  const payload = new U8(10 + count * 21);
  let p = writeLeb(count, payload, 0);
  for (let k = 0; k < count; k++) {
    const memory = section.memories[k]!;
    payload[p++] = HAS_MAX | (memory.shared ? SHARED : 0) | (memory.wide ? WIDE : 0);
    p = writeLeb(memory.initial, payload, p);
    p = writeLeb(maximum(memory, k), payload, p);
  }
  const head = new U8(6);
  head[0] = MEMORY_SECTION;
  const headLength = writeLeb(p, head, 1);
  const out = new U8(section.start + headLength + p + (n - section.end));
  reflectApply(u8Set, out, [reflectApply(u8Subarray, bytes, [0, section.start]), 0]);
  reflectApply(u8Set, out, [reflectApply(u8Subarray, head, [0, headLength]), section.start]);
  reflectApply(u8Set, out, [reflectApply(u8Subarray, payload, [0, p]), section.start + headLength]);
  reflectApply(u8Set, out, [reflectApply(u8Subarray, bytes, [section.end, n]), section.start + headLength + p]);
  return { bytes: out, memories: section.memories, original: bytes };
}
