// The percent-encode sets of the URL standard and percent-encoding / decoding.
// A set is the string of printable ASCII characters it adds to the C0 control set
// (every code point below U+0020 or above U+007E is always encoded).

import { encodeUtf8 } from "../utf8-codec.ts";

export const C0_CONTROL_SET = "";
export const FRAGMENT_SET = ' "<>`';
export const QUERY_SET = ' "#<>';
export const SPECIAL_QUERY_SET = ` "#<>'`;
export const PATH_SET = ' "#<>?`{}';
export const USERINFO_SET = ' "#<>?`{}/:;=@[\\]^|';
export const COMPONENT_SET = ' "#<>?`{}/:;=@[\\]^|$%&+,';
export const FORM_URLENCODED_SET = ` "#<>?\`{}/:;=@[\\]^|$%&+,!'()~`;

const HEX = "0123456789ABCDEF";

function percentByte(byte: number): string {
  return "%" + HEX.charAt(byte >> 4) + HEX.charAt(byte & 15);
}

/**
 * UTF-8 percent-encodes every code point of `input` that is in `set`. With
 * `spaceAsPlus` (application/x-www-form-urlencoded) a space becomes "+".
 */
export function percentEncode(input: string, set: string, spaceAsPlus = false): string {
  let output = "";
  let copied = 0;
  for (let i = 0; i < input.length; i++) {
    const unit = input.charCodeAt(i);
    if (unit >= 0x20 && unit < 0x7f && !set.includes(input.charAt(i))) continue;
    output += input.slice(copied, i);
    if (unit === 0x20 && spaceAsPlus) {
      output += "+";
    } else if (unit < 0x80) {
      output += percentByte(unit);
    } else {
      const next = input.charCodeAt(i + 1);
      const wide = unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
      for (const byte of encodeUtf8(input.slice(i, wide ? i + 2 : i + 1))) output += percentByte(byte);
      if (wide) i++;
    }
    copied = i + 1;
  }
  return copied === 0 ? input : output + input.slice(copied);
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** Percent-decodes the UTF-8 bytes of `input`; a "%" not followed by two hex digits stays. */
export function percentDecode(input: string): Uint8Array {
  const bytes = encodeUtf8(input);
  const output = new Uint8Array(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x25 && i + 2 < bytes.length) {
      const high = hexValue(bytes[i + 1]!);
      const low = hexValue(bytes[i + 2]!);
      if (high >= 0 && low >= 0) {
        output[length++] = (high << 4) | low;
        i += 2;
        continue;
      }
    }
    output[length++] = byte;
  }
  return output.subarray(0, length);
}
