// Scans over UTF-16 code units that stand in for small regular expressions. In a fresh
// isolate each distinct regular expression is compiled on its first use and compiled
// again, to machine code, on its second (0.2-0.4 ms each), which would dominate the
// first URL, Headers or atob call of every isolate.

/** Removes the leading and trailing code units for which `trimmed` holds. */
export function trimCodeUnits(input: string, trimmed: (unit: number) => boolean): string {
  let start = 0;
  let end = input.length;
  while (start < end && trimmed(input.charCodeAt(start))) start++;
  while (end > start && trimmed(input.charCodeAt(end - 1))) end--;
  return start === 0 && end === input.length ? input : input.slice(start, end);
}

/** Whether some code unit of `input` satisfies `test`. */
export function someCodeUnit(input: string, test: (unit: number) => boolean): boolean {
  for (let i = 0; i < input.length; i++) if (test(input.charCodeAt(i))) return true;
  return false;
}

/** Whether `input` is not empty and every code unit satisfies `test`. */
export function everyCodeUnit(input: string, test: (unit: number) => boolean): boolean {
  return input !== "" && !someCodeUnit(input, (unit) => !test(unit));
}

export function isAsciiDigit(unit: number): boolean {
  return unit >= 0x30 && unit <= 0x39;
}

export function isAsciiHexDigit(unit: number): boolean {
  const lower = unit | 0x20;
  return isAsciiDigit(unit) || (lower >= 0x61 && lower <= 0x66);
}

export function isAsciiAlpha(unit: number): boolean {
  const lower = unit | 0x20;
  return lower >= 0x61 && lower <= 0x7a;
}

/** Tab, line feed, carriage return and space (HTTP whitespace). */
export function isHttpWhitespace(unit: number): boolean {
  return unit === 0x09 || unit === 0x0a || unit === 0x0d || unit === 0x20;
}

/** HTTP whitespace and form feed (ASCII whitespace). */
export function isAsciiWhitespace(unit: number): boolean {
  return isHttpWhitespace(unit) || unit === 0x0c;
}
