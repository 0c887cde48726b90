// URLSearchParams: an ordered list of name/value pairs in form-urlencoded form. When it
// belongs to a URL, every change is written back to that URL's query.

import { toUSVString } from "../usv-string.ts";
import { requireArguments } from "../webidl-arguments.ts";
import { type FormEntry, parseFormUrlencoded, serializeFormUrlencoded } from "./form-urlencoded.ts";

export type URLSearchParamsInit = string | URLSearchParams | Iterable<Iterable<string>> | Record<string, string>;

/** Creates the params object of a URL: `query` is the URL's query, `update` takes the new one. */
export let createUrlSearchParams!: (query: string, update: (serialized: string) => void) => URLSearchParams;

/** Replaces the list after the owning URL's query changed from the URL side. */
export let resetUrlSearchParams!: (params: URLSearchParams, query: string) => void;

export class URLSearchParams {
  declare [Symbol.iterator]: () => IterableIterator<[string, string]>;
  #list: FormEntry[] = [];
  #update: ((serialized: string) => void) | null = null;

  // Static, so the name survives a minifier renaming the class.
  static get name(): string {
    return "URLSearchParams";
  }

  get [Symbol.toStringTag](): string {
    return "URLSearchParams";
  }

  constructor(init: URLSearchParamsInit = "") {
    if ((typeof init === "object" && init !== null) || typeof init === "function") {
      const iterator = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
      if (iterator !== undefined && iterator !== null) {
        if (typeof iterator !== "function") throw new TypeError("URLSearchParams: init is not iterable.");
        for (const pair of init as Iterable<Iterable<string>>) {
          const items = [...pair];
          if (items.length !== 2) throw new TypeError("URLSearchParams: each pair must have exactly two items.");
          this.#list.push([toUSVString(items[0]), toUSVString(items[1])]);
        }
      } else {
        const record = init as Record<string, string>;
        for (const key of Object.keys(record)) this.#list.push([toUSVString(key), toUSVString(record[key])]);
      }
      return;
    }
    const query = toUSVString(init);
    this.#list = parseFormUrlencoded(query.charAt(0) === "?" ? query.slice(1) : query);
  }

  get size(): number {
    return this.#list.length;
  }

  append(name: string, value: string): void {
    requireArguments(arguments.length, 2, "URLSearchParams.append");
    this.#list.push([toUSVString(name), toUSVString(value)]);
    this.#changed();
  }

  delete(name: string, value?: string): void {
    requireArguments(arguments.length, 1, "URLSearchParams.delete");
    const key = toUSVString(name);
    const match = value === undefined ? undefined : toUSVString(value);
    this.#list = this.#list.filter((entry) => entry[0] !== key || (match !== undefined && entry[1] !== match));
    this.#changed();
  }

  get(name: string): string | null {
    requireArguments(arguments.length, 1, "URLSearchParams.get");
    const key = toUSVString(name);
    for (const entry of this.#list) if (entry[0] === key) return entry[1];
    return null;
  }

  getAll(name: string): string[] {
    requireArguments(arguments.length, 1, "URLSearchParams.getAll");
    const key = toUSVString(name);
    const values: string[] = [];
    for (const entry of this.#list) if (entry[0] === key) values.push(entry[1]);
    return values;
  }

  has(name: string, value?: string): boolean {
    requireArguments(arguments.length, 1, "URLSearchParams.has");
    const key = toUSVString(name);
    const match = value === undefined ? undefined : toUSVString(value);
    return this.#list.some((entry) => entry[0] === key && (match === undefined || entry[1] === match));
  }

  set(name: string, value: string): void {
    requireArguments(arguments.length, 2, "URLSearchParams.set");
    const key = toUSVString(name);
    const entry: FormEntry = [key, toUSVString(value)];
    const index = this.#list.findIndex((item) => item[0] === key);
    if (index < 0) {
      this.#list.push(entry);
    } else {
      this.#list[index] = entry;
      this.#list = this.#list.filter((item, i) => i <= index || item[0] !== key);
    }
    this.#changed();
  }

  // Stable, by UTF-16 code units of the names.
  sort(): void {
    this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.#changed();
  }

  forEach(callback: (value: string, name: string, params: URLSearchParams) => void, thisArg?: unknown): void {
    requireArguments(arguments.length, 1, "URLSearchParams.forEach");
    if (typeof callback !== "function") throw new TypeError("URLSearchParams.forEach: callback is not a function.");
    for (let index = 0; index < this.#list.length; index++) {
      const entry = this.#list[index]!;
      callback.call(thisArg, entry[1], entry[0], this);
    }
  }

  *entries(): IterableIterator<[string, string]> {
    for (let index = 0; index < this.#list.length; index++) {
      const entry = this.#list[index]!;
      yield [entry[0], entry[1]];
    }
  }

  *keys(): IterableIterator<string> {
    for (const entry of this.entries()) yield entry[0];
  }

  *values(): IterableIterator<string> {
    for (const entry of this.entries()) yield entry[1];
  }

  toString(): string {
    return serializeFormUrlencoded(this.#list);
  }

  #changed(): void {
    this.#update?.(serializeFormUrlencoded(this.#list));
  }

  static {
    createUrlSearchParams = (query, update) => {
      const params = new URLSearchParams();
      params.#list = parseFormUrlencoded(query);
      params.#update = update;
      return params;
    };
    resetUrlSearchParams = (params, query) => {
      params.#list = parseFormUrlencoded(query);
    };
  }
}

// Web IDL: the iterator method and entries() are the same function.
Object.defineProperty(URLSearchParams.prototype, Symbol.iterator, {
  value: URLSearchParams.prototype.entries,
  writable: true,
  configurable: true,
});
