// TextDecoder for UTF-8 only: the sandbox carries no legacy encoding tables, so any
// other label is a RangeError, as an unknown label is in browsers.

import { isAsciiWhitespace, trimCodeUnits } from "./code-unit-scan.ts";
import { Utf8Decoder } from "./utf8-codec.ts";

export interface TextDecoderOptions {
  fatal?: boolean;
  ignoreBOM?: boolean;
}

export interface TextDecodeOptions {
  stream?: boolean;
}

// Every WHATWG Encoding label of UTF-8.
const UTF8_LABELS = ["unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"];

function toBytes(input: unknown): Uint8Array {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError("TextDecoder.decode: input must be an ArrayBuffer or an ArrayBufferView.");
}

export class TextDecoder {
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  readonly #decoder: Utf8Decoder;

  // Static, so the name survives a minifier renaming the class.
  static get name(): string {
    return "TextDecoder";
  }

  get [Symbol.toStringTag](): string {
    return "TextDecoder";
  }

  constructor(label: string = "utf-8", options: TextDecoderOptions = {}) {
    const normalized = trimCodeUnits(String(label), isAsciiWhitespace).toLowerCase();
    if (!UTF8_LABELS.includes(normalized)) {
      throw new RangeError(`TextDecoder: the "${String(label)}" encoding is not supported.`);
    }
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
    this.#decoder = new Utf8Decoder(this.#fatal, this.#ignoreBOM);
  }

  get encoding(): string {
    return "utf-8";
  }

  get fatal(): boolean {
    return this.#fatal;
  }

  get ignoreBOM(): boolean {
    return this.#ignoreBOM;
  }

  decode(input?: ArrayBuffer | ArrayBufferView, options: TextDecodeOptions = {}): string {
    return this.#decoder.decode(toBytes(input), Boolean(options?.stream));
  }
}
