// atob and btoa: base64 over "binary strings" (one character per byte), with the
// forgiving decoder of the HTML standard (whitespace and missing padding tolerated).

import { isAsciiAlpha, isAsciiDigit, isAsciiWhitespace, someCodeUnit } from "./code-unit-scan.ts";
import { DOMException } from "./dom-exception.ts";
import { requireArguments } from "./webidl-arguments.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Methods of an object literal: they keep their names through a minifier and, like
// the browser's, are not constructors.
export const { btoa, atob } = {
  btoa(data: string): string {
    requireArguments(arguments.length, 1, "btoa");
    const input = String(data);
    let output = "";
    for (let i = 0; i < input.length; i += 3) {
      const a = input.charCodeAt(i);
      const b = i + 1 < input.length ? input.charCodeAt(i + 1) : 0;
      const c = i + 2 < input.length ? input.charCodeAt(i + 2) : 0;
      if (a > 0xff || b > 0xff || c > 0xff) {
        throw new DOMException("btoa: the string contains characters outside of Latin-1.", "InvalidCharacterError");
      }
      const bits = (a << 16) | (b << 8) | c;
      output +=
        ALPHABET.charAt(bits >> 18) +
        ALPHABET.charAt((bits >> 12) & 63) +
        (i + 1 < input.length ? ALPHABET.charAt((bits >> 6) & 63) : "=") +
        (i + 2 < input.length ? ALPHABET.charAt(bits & 63) : "=");
    }
    return output;
  },

  atob(data: string): string {
    requireArguments(arguments.length, 1, "atob");
    let input = String(data);
    if (someCodeUnit(input, isAsciiWhitespace)) input = withoutAsciiWhitespace(input);
    if (input.length % 4 === 0 && input.endsWith("=")) input = input.slice(0, input.endsWith("==") ? -2 : -1);
    if (input.length % 4 === 1 || someCodeUnit(input, (unit) => !isBase64Character(unit))) {
      throw new DOMException("atob: the string to be decoded is not correctly encoded.", "InvalidCharacterError");
    }
    const units: number[] = [];
    let output = "";
    let bits = 0;
    let count = 0;
    for (let i = 0; i < input.length; i++) {
      bits = (bits << 6) | sextet(input.charCodeAt(i));
      if (++count === 4) {
        units.push(bits >> 16, (bits >> 8) & 0xff, bits & 0xff);
        bits = count = 0;
        if (units.length >= 8190) {
          output += String.fromCharCode.apply(null, units);
          units.length = 0;
        }
      }
    }
    // Leftover bits that do not make a whole byte are dropped.
    if (count === 3) units.push(bits >> 10, (bits >> 2) & 0xff);
    else if (count === 2) units.push(bits >> 4);
    return output + String.fromCharCode.apply(null, units);
  },
};

function withoutAsciiWhitespace(input: string): string {
  let output = "";
  for (let i = 0; i < input.length; i++) if (!isAsciiWhitespace(input.charCodeAt(i))) output += input.charAt(i);
  return output;
}

function isBase64Character(unit: number): boolean {
  return isAsciiAlpha(unit) || isAsciiDigit(unit) || unit === 0x2b || unit === 0x2f;
}

// The value of one (already validated) base64 character.
function sextet(code: number): number {
  if (code >= 97) return code - 71; // a-z
  if (code >= 65) return code - 65; // A-Z
  if (code >= 48) return code + 4; // 0-9
  return code === 43 ? 62 : 63; // + or /
}
