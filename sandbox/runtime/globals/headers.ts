// Headers: the WHATWG header list. Names are matched case-insensitively, iteration is
// sorted by lower-cased name with repeated headers joined by ", ", and Set-Cookie is
// never joined (getSetCookie, and one iteration entry per cookie).

import {
  everyCodeUnit,
  isAsciiAlpha,
  isAsciiDigit,
  isHttpWhitespace,
  someCodeUnit,
  trimCodeUnits,
} from "./code-unit-scan.ts";
import { requireArguments } from "./webidl-arguments.ts";

export type HeadersInit = Headers | Iterable<Iterable<string>> | Record<string, string>;

type HeaderEntry = [name: string, value: string];

function isTokenCodePoint(unit: number): boolean {
  return isAsciiAlpha(unit) || isAsciiDigit(unit) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(unit));
}

// NUL, CR and LF are never allowed; above U+00FF is not a ByteString.
function isInvalidValueCodePoint(unit: number): boolean {
  return unit === 0 || unit === 0x0a || unit === 0x0d || unit > 0xff;
}

function headerName(name: unknown): string {
  const value = String(name);
  if (!everyCodeUnit(value, isTokenCodePoint)) throw new TypeError(`Headers: invalid header name "${value}".`);
  return value.toLowerCase();
}

function headerValue(value: unknown): string {
  const normalized = trimCodeUnits(String(value), isHttpWhitespace);
  if (someCodeUnit(normalized, isInvalidValueCodePoint)) {
    throw new TypeError(`Headers: invalid header value "${normalized}".`);
  }
  return normalized;
}

/** Makes a Headers object refuse changes, as the headers of a received response do. */
export let markHeadersImmutable!: (headers: Headers) => void;

export class Headers {
  declare [Symbol.iterator]: () => IterableIterator<[string, string]>;
  #list: HeaderEntry[] = [];
  #sorted: HeaderEntry[] | null = null;
  #immutable = false;

  // Static, so the name survives a minifier renaming the class.
  static get name(): string {
    return "Headers";
  }

  get [Symbol.toStringTag](): string {
    return "Headers";
  }

  constructor(init?: HeadersInit) {
    if (init === undefined) return;
    if (typeof init !== "object" || init === null) {
      throw new TypeError("Headers: init must be an object, an array of pairs, or Headers.");
    }
    const iterator = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
    if (iterator !== undefined && iterator !== null) {
      if (typeof iterator !== "function") throw new TypeError("Headers: init is not iterable.");
      for (const pair of init as Iterable<Iterable<string>>) {
        const items = [...pair];
        if (items.length !== 2) throw new TypeError("Headers: each header must be a [name, value] pair.");
        this.append(items[0]!, items[1]!);
      }
      return;
    }
    const record = init as Record<string, string>;
    for (const key of Object.keys(record)) this.append(key, record[key]!);
  }

  append(name: string, value: string): void {
    requireArguments(arguments.length, 2, "Headers.append");
    const entry: HeaderEntry = [headerName(name), headerValue(value)];
    this.#assertMutable();
    this.#list.push(entry);
    this.#sorted = null;
  }

  delete(name: string): void {
    requireArguments(arguments.length, 1, "Headers.delete");
    const key = headerName(name);
    this.#assertMutable();
    this.#list = this.#list.filter((entry) => entry[0] !== key);
    this.#sorted = null;
  }

  get(name: string): string | null {
    requireArguments(arguments.length, 1, "Headers.get");
    const key = headerName(name);
    let combined: string | null = null;
    for (const [entryName, value] of this.#list) {
      if (entryName === key) combined = combined === null ? value : `${combined}, ${value}`;
    }
    return combined;
  }

  getSetCookie(): string[] {
    const cookies: string[] = [];
    for (const [name, value] of this.#list) if (name === "set-cookie") cookies.push(value);
    return cookies;
  }

  has(name: string): boolean {
    requireArguments(arguments.length, 1, "Headers.has");
    const key = headerName(name);
    return this.#list.some((entry) => entry[0] === key);
  }

  set(name: string, value: string): void {
    requireArguments(arguments.length, 2, "Headers.set");
    const key = headerName(name);
    const normalized = headerValue(value);
    this.#assertMutable();
    const index = this.#list.findIndex((entry) => entry[0] === key);
    if (index < 0) {
      this.#list.push([key, normalized]);
    } else {
      this.#list[index] = [key, normalized];
      this.#list = this.#list.filter((entry, i) => i <= index || entry[0] !== key);
    }
    this.#sorted = null;
  }

  forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    requireArguments(arguments.length, 1, "Headers.forEach");
    if (typeof callback !== "function") throw new TypeError("Headers.forEach: callback is not a function.");
    // Re-read the sorted list on every step: the callback may change the headers.
    for (let index = 0; ; index++) {
      const entry = this.#sortedEntries()[index];
      if (entry === undefined) return;
      callback.call(thisArg, entry[1], entry[0], this);
    }
  }

  *entries(): IterableIterator<[string, string]> {
    for (let index = 0; ; index++) {
      const entry = this.#sortedEntries()[index];
      if (entry === undefined) return;
      yield [entry[0], entry[1]];
    }
  }

  *keys(): IterableIterator<string> {
    for (const entry of this.entries()) yield entry[0];
  }

  *values(): IterableIterator<string> {
    for (const entry of this.entries()) yield entry[1];
  }

  #assertMutable(): void {
    if (this.#immutable) throw new TypeError("Headers: these headers are immutable.");
  }

  #sortedEntries(): HeaderEntry[] {
    if (this.#sorted !== null) return this.#sorted;
    const names = [...new Set(this.#list.map((entry) => entry[0]))].sort();
    const sorted: HeaderEntry[] = [];
    for (const name of names) {
      if (name === "set-cookie") {
        for (const value of this.getSetCookie()) sorted.push([name, value]);
      } else {
        sorted.push([name, this.get(name)!]);
      }
    }
    return (this.#sorted = sorted);
  }

  static {
    markHeadersImmutable = (headers) => {
      headers.#immutable = true;
    };
  }
}

// Web IDL: the iterator method and entries() are the same function.
Object.defineProperty(Headers.prototype, Symbol.iterator, {
  value: Headers.prototype.entries,
  writable: true,
  configurable: true,
});
