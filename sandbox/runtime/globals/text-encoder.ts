// TextEncoder: strings to UTF-8 bytes (the only encoding the web platform encodes to).

import { encodeUtf8, encodeUtf8Into } from "./utf8-codec.ts";
import { requireArguments } from "./webidl-arguments.ts";

export class TextEncoder {
  // Static, so the name survives a minifier renaming the class.
  static get name(): string {
    return "TextEncoder";
  }

  get [Symbol.toStringTag](): string {
    return "TextEncoder";
  }

  get encoding(): string {
    return "utf-8";
  }

  encode(input: string = ""): Uint8Array {
    return encodeUtf8(String(input));
  }

  encodeInto(source: string, destination: Uint8Array): { read: number; written: number } {
    requireArguments(arguments.length, 2, "TextEncoder.encodeInto");
    if (!(destination instanceof Uint8Array)) {
      throw new TypeError("TextEncoder.encodeInto: destination must be a Uint8Array.");
    }
    return encodeUtf8Into(String(source), destination);
  }
}
