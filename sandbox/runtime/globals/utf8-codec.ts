// UTF-8 encoding and decoding, shared by TextEncoder, TextDecoder and the URL code.
// The decoder follows the WHATWG Encoding algorithm, so invalid input becomes
// U+FFFD in exactly the places a browser puts it, also across streamed chunks.

/** Encodes a string as UTF-8; lone surrogates become U+FFFD. */
export function encodeUtf8(input: string): Uint8Array {
  const length = input.length;
  let size = 0;
  for (let i = 0; i < length; i++) {
    const unit = input.charCodeAt(i);
    if (unit < 0x80) size += 1;
    else if (unit < 0x800) size += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(input.charCodeAt(i + 1))) {
      size += 4;
      i++;
    } else size += 3;
  }
  const bytes = new Uint8Array(size);
  encodeUtf8Into(input, bytes);
  return bytes;
}

/** Writes as much of `input` as fits, never a partial character. */
export function encodeUtf8Into(input: string, bytes: Uint8Array): { read: number; written: number } {
  const length = input.length;
  const capacity = bytes.length;
  let read = 0;
  let written = 0;
  while (read < length) {
    let point = input.charCodeAt(read);
    let units = 1;
    if (point >= 0xd800 && point <= 0xdfff) {
      const next = input.charCodeAt(read + 1);
      if (point <= 0xdbff && isLowSurrogate(next)) {
        point = 0x10000 + ((point - 0xd800) << 10) + (next - 0xdc00);
        units = 2;
      } else {
        point = 0xfffd;
      }
    }
    if (point < 0x80) {
      if (written >= capacity) break;
      bytes[written++] = point;
    } else if (point < 0x800) {
      if (written + 2 > capacity) break;
      bytes[written++] = 0xc0 | (point >> 6);
      bytes[written++] = 0x80 | (point & 0x3f);
    } else if (point < 0x10000) {
      if (written + 3 > capacity) break;
      bytes[written++] = 0xe0 | (point >> 12);
      bytes[written++] = 0x80 | ((point >> 6) & 0x3f);
      bytes[written++] = 0x80 | (point & 0x3f);
    } else {
      if (written + 4 > capacity) break;
      bytes[written++] = 0xf0 | (point >> 18);
      bytes[written++] = 0x80 | ((point >> 12) & 0x3f);
      bytes[written++] = 0x80 | ((point >> 6) & 0x3f);
      bytes[written++] = 0x80 | (point & 0x3f);
    }
    read += units;
  }
  return { read, written };
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** A stateful UTF-8 decoder: a character split across chunks is decoded once whole. */
// Internal (never reachable from plugin code), so plain properties rather than
// private fields, which cost more to set up in a fresh isolate.
export class Utf8Decoder {
  private readonly fatal: boolean;
  private readonly ignoreBOM: boolean;
  private bomPending: boolean;
  private needed = 0;
  private seen = 0;
  private point = 0;
  private lower = 0x80;
  private upper = 0xbf;

  constructor(fatal: boolean, ignoreBOM: boolean) {
    this.fatal = fatal;
    this.ignoreBOM = ignoreBOM;
    this.bomPending = !ignoreBOM;
  }

  /** Decodes one chunk; with `stream` false the input ends here and the state resets. */
  decode(bytes: Uint8Array, stream: boolean): string {
    const units: number[] = [];
    let output = "";
    const emit = (point: number): void => {
      if (this.bomPending) {
        this.bomPending = false;
        if (point === 0xfeff) return;
      }
      if (point > 0xffff) {
        point -= 0x10000;
        units.push(0xd800 + (point >> 10), 0xdc00 + (point & 0x3ff));
      } else {
        units.push(point);
      }
      if (units.length >= 8192) {
        output += String.fromCharCode.apply(null, units);
        units.length = 0;
      }
    };
    const fail = (): void => {
      this.needed = this.seen = this.point = 0;
      this.lower = 0x80;
      this.upper = 0xbf;
      if (this.fatal) {
        this.bomPending = !this.ignoreBOM;
        throw new TypeError("The encoded data was not valid UTF-8.");
      }
      emit(0xfffd);
    };
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (this.needed === 0) {
        if (byte < 0x80) {
          // Runs of ASCII (most JSON and HTTP text) skip the per-character path.
          let end = i + 1;
          while (end < bytes.length && bytes[end]! < 0x80) end++;
          if (end - i < 32) {
            for (let k = i; k < end; k++) emit(bytes[k]!);
          } else {
            this.bomPending = false;
            if (units.length > 0) {
              output += String.fromCharCode.apply(null, units);
              units.length = 0;
            }
            for (let start = i; start < end; start += 8192) {
              const run = bytes.subarray(start, Math.min(end, start + 8192));
              output += String.fromCharCode.apply(null, run as unknown as number[]);
            }
          }
          i = end - 1;
        } else if (byte >= 0xc2 && byte <= 0xdf) {
          this.needed = 1;
          this.point = byte & 0x1f;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          if (byte === 0xe0) this.lower = 0xa0;
          if (byte === 0xed) this.upper = 0x9f;
          this.needed = 2;
          this.point = byte & 0xf;
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          if (byte === 0xf0) this.lower = 0x90;
          if (byte === 0xf4) this.upper = 0x8f;
          this.needed = 3;
          this.point = byte & 0x7;
        } else fail();
        continue;
      }
      if (byte < this.lower || byte > this.upper) {
        fail();
        i--; // the byte that broke the sequence starts afresh
        continue;
      }
      this.lower = 0x80;
      this.upper = 0xbf;
      this.point = (this.point << 6) | (byte & 0x3f);
      if (++this.seen === this.needed) {
        const point = this.point;
        this.needed = this.seen = this.point = 0;
        emit(point);
      }
    }
    if (!stream) {
      if (this.needed !== 0) fail();
      this.bomPending = !this.ignoreBOM;
    }
    return units.length === 0 ? output : output + String.fromCharCode.apply(null, units);
  }
}

/** Decodes a complete UTF-8 byte sequence, replacing errors and keeping a BOM. */
export function decodeUtf8(bytes: Uint8Array): string {
  return new Utf8Decoder(false, true).decode(bytes, false);
}
