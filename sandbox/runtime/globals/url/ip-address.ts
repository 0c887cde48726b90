// IPv4 and IPv6 host parsing and serialisation as the URL standard defines them,
// including the legacy IPv4 forms (0x7f.1, 017700000001, 2130706433).

import { everyCodeUnit, isAsciiDigit, isAsciiHexDigit } from "../code-unit-scan.ts";

function isOctalDigit(unit: number): boolean {
  return unit >= 0x30 && unit <= 0x37;
}

function parseIPv4Number(input: string): number | null {
  if (input === "") return null;
  let radix = 10;
  if (input.length >= 2 && input.charAt(0) === "0" && (input.charAt(1) === "x" || input.charAt(1) === "X")) {
    input = input.slice(2);
    radix = 16;
  } else if (input.length >= 2 && input.charAt(0) === "0") {
    input = input.slice(1);
    radix = 8;
  }
  if (input === "") return 0;
  const isDigit = radix === 10 ? isAsciiDigit : radix === 16 ? isAsciiHexDigit : isOctalDigit;
  return everyCodeUnit(input, isDigit) ? parseInt(input, radix) : null;
}

/** Whether a domain's last label is a number, which makes the whole host an IPv4 address. */
export function endsInANumber(input: string): boolean {
  const parts = input.split(".");
  if (parts[parts.length - 1] === "") {
    if (parts.length === 1) return false;
    parts.pop();
  }
  const last = parts[parts.length - 1]!;
  if (everyCodeUnit(last, isAsciiDigit)) return true;
  return parseIPv4Number(last) !== null;
}

export function parseIPv4(input: string): number | null {
  const parts = input.split(".");
  if (parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
  if (parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const value = parseIPv4Number(part);
    if (value === null) return null;
    numbers.push(value);
  }
  for (let i = 0; i < numbers.length - 1; i++) if (numbers[i]! > 255) return null;
  const last = numbers[numbers.length - 1]!;
  if (last >= 256 ** (5 - numbers.length)) return null;
  let address = last;
  for (let i = 0; i < numbers.length - 1; i++) address += numbers[i]! * 256 ** (3 - i);
  return address;
}

export function serializeIPv4(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}

function isHexDigit(char: string): boolean {
  return char !== "" && "0123456789abcdefABCDEF".includes(char);
}

function isDigit(char: string): boolean {
  return char >= "0" && char <= "9" && char.length === 1;
}

export function parseIPv6(input: string): number[] | null {
  const address = [0, 0, 0, 0, 0, 0, 0, 0];
  let pieceIndex = 0;
  let compress: number | null = null;
  let pointer = 0;
  const at = (index: number): string => input.charAt(index);
  if (at(0) === ":") {
    if (at(1) !== ":") return null;
    pointer += 2;
    compress = ++pieceIndex;
  }
  while (at(pointer) !== "") {
    if (pieceIndex === 8) return null;
    if (at(pointer) === ":") {
      if (compress !== null) return null;
      pointer++;
      compress = ++pieceIndex;
      continue;
    }
    let value = 0;
    let length = 0;
    while (length < 4 && isHexDigit(at(pointer))) {
      value = value * 16 + parseInt(at(pointer), 16);
      pointer++;
      length++;
    }
    if (at(pointer) === ".") {
      if (length === 0) return null;
      pointer -= length;
      if (pieceIndex > 6) return null;
      let numbersSeen = 0;
      while (at(pointer) !== "") {
        let piece: number | null = null;
        if (numbersSeen > 0) {
          if (at(pointer) === "." && numbersSeen < 4) pointer++;
          else return null;
        }
        if (!isDigit(at(pointer))) return null;
        while (isDigit(at(pointer))) {
          const digit = Number(at(pointer));
          if (piece === null) piece = digit;
          else if (piece === 0) return null;
          else piece = piece * 10 + digit;
          if (piece > 255) return null;
          pointer++;
        }
        address[pieceIndex] = address[pieceIndex]! * 0x100 + piece!;
        numbersSeen++;
        if (numbersSeen === 2 || numbersSeen === 4) pieceIndex++;
      }
      if (numbersSeen !== 4) return null;
      break;
    } else if (at(pointer) === ":") {
      pointer++;
      if (at(pointer) === "") return null;
    } else if (at(pointer) !== "") {
      return null;
    }
    address[pieceIndex++] = value;
  }
  if (compress !== null) {
    let swaps = pieceIndex - compress;
    pieceIndex = 7;
    while (pieceIndex !== 0 && swaps > 0) {
      const other = compress + swaps - 1;
      [address[pieceIndex], address[other]] = [address[other]!, address[pieceIndex]!];
      pieceIndex--;
      swaps--;
    }
  } else if (pieceIndex !== 8) {
    return null;
  }
  return address;
}

export function serializeIPv6(address: readonly number[]): string {
  // Compress the first longest run of two or more zero pieces.
  let compress = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (address[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && address[end] === 0) end++;
    if (end - i > bestLength) {
      compress = i;
      bestLength = end - i;
    }
    i = end;
  }
  let output = "";
  for (let i = 0; i < 8; i++) {
    if (i === compress) {
      output += i === 0 ? "::" : ":";
      i += bestLength - 1;
      continue;
    }
    output += address[i]!.toString(16);
    if (i !== 7) output += ":";
  }
  return output;
}
