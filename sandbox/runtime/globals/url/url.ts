// URL: the WHATWG URL API over the parser and record in this folder.

import { toUSVString } from "../usv-string.ts";
import { requireArguments } from "../webidl-arguments.ts";
import { USERINFO_SET, percentEncode } from "./percent-encoding.ts";
import {
  FRAGMENT,
  HOST,
  HOSTNAME,
  PATH_START,
  PORT,
  QUERY,
  SCHEME_START,
  type StateOverride,
  parseUrl,
} from "./url-parser.ts";
import {
  type UrlRecord,
  cannotHaveCredentialsOrPort,
  serializeOrigin,
  serializePath,
  serializeUrl,
} from "./url-record.ts";
import { URLSearchParams, createUrlSearchParams, resetUrlSearchParams } from "./url-search-params.ts";

function parseWithBase(url: unknown, base: unknown): UrlRecord | null {
  let baseRecord: UrlRecord | null = null;
  if (base !== undefined) {
    baseRecord = parseUrl(toUSVString(base), null);
    if (baseRecord === null) return null;
  }
  return parseUrl(toUSVString(url), baseRecord);
}

function parseAbsolute(input: string): UrlRecord | null {
  return parseUrl(input, null);
}

function invalidUrl(): TypeError {
  return new TypeError("Invalid URL");
}

// After the query or fragment is removed, trailing spaces of an opaque path would
// otherwise be stripped the next time the URL is parsed; strip them now.
function trimTrailingSpaces(input: string): string {
  let end = input.length;
  while (end > 0 && input.charCodeAt(end - 1) === 0x20) end--;
  return input.slice(0, end);
}

function stripTrailingSpacesFromOpaquePath(url: UrlRecord): void {
  if (typeof url.path === "string" && url.fragment === null && url.query === null) {
    url.path = trimTrailingSpaces(url.path);
  }
}

export class URL {
  #url: UrlRecord;
  #searchParams: URLSearchParams | null = null;

  // Static, so the name survives a minifier renaming the class.
  static get name(): string {
    return "URL";
  }

  get [Symbol.toStringTag](): string {
    return "URL";
  }

  constructor(url: string | URL, base?: string | URL) {
    requireArguments(arguments.length, 1, "URL constructor");
    const record = parseWithBase(url, base);
    if (record === null) throw invalidUrl();
    this.#url = record;
  }

  static canParse(url: string | URL, base?: string | URL): boolean {
    requireArguments(arguments.length, 1, "URL.canParse");
    return parseWithBase(url, base) !== null;
  }

  static parse(url: string | URL, base?: string | URL): URL | null {
    requireArguments(arguments.length, 1, "URL.parse");
    try {
      return new URL(url, base);
    } catch {
      return null;
    }
  }

  get href(): string {
    return serializeUrl(this.#url);
  }

  set href(value: string) {
    const record = parseAbsolute(toUSVString(value));
    if (record === null) throw invalidUrl();
    this.#url = record;
    this.#querySet();
  }

  get origin(): string {
    return serializeOrigin(this.#url, parseAbsolute);
  }

  get protocol(): string {
    return this.#url.scheme + ":";
  }

  set protocol(value: string) {
    this.#edit(toUSVString(value) + ":", SCHEME_START);
  }

  get username(): string {
    return this.#url.username;
  }

  set username(value: string) {
    if (!cannotHaveCredentialsOrPort(this.#url)) this.#url.username = percentEncode(toUSVString(value), USERINFO_SET);
  }

  get password(): string {
    return this.#url.password;
  }

  set password(value: string) {
    if (!cannotHaveCredentialsOrPort(this.#url)) this.#url.password = percentEncode(toUSVString(value), USERINFO_SET);
  }

  get host(): string {
    const { host, port } = this.#url;
    if (host === null) return "";
    return port === null ? host : `${host}:${port}`;
  }

  set host(value: string) {
    if (typeof this.#url.path !== "string") this.#edit(toUSVString(value), HOST);
  }

  get hostname(): string {
    return this.#url.host ?? "";
  }

  set hostname(value: string) {
    if (typeof this.#url.path !== "string") this.#edit(toUSVString(value), HOSTNAME);
  }

  get port(): string {
    return this.#url.port === null ? "" : String(this.#url.port);
  }

  set port(value: string) {
    if (cannotHaveCredentialsOrPort(this.#url)) return;
    const input = toUSVString(value);
    if (input === "") this.#url.port = null;
    else this.#edit(input, PORT);
  }

  get pathname(): string {
    return serializePath(this.#url);
  }

  set pathname(value: string) {
    if (typeof this.#url.path === "string") return;
    this.#url.path = [];
    this.#edit(toUSVString(value), PATH_START);
  }

  get search(): string {
    const query = this.#url.query;
    return query === null || query === "" ? "" : "?" + query;
  }

  set search(value: string) {
    const input = toUSVString(value);
    if (input === "") {
      this.#url.query = null;
      stripTrailingSpacesFromOpaquePath(this.#url);
    } else {
      this.#url.query = "";
      this.#edit(input.charAt(0) === "?" ? input.slice(1) : input, QUERY);
    }
    this.#querySet();
  }

  get searchParams(): URLSearchParams {
    // Made on first use: most URLs never have their params read.
    return (this.#searchParams ??= createUrlSearchParams(this.#url.query ?? "", (serialized) => {
      this.#url.query = serialized === "" ? null : serialized;
      if (serialized === "") stripTrailingSpacesFromOpaquePath(this.#url);
    }));
  }

  get hash(): string {
    const fragment = this.#url.fragment;
    return fragment === null || fragment === "" ? "" : "#" + fragment;
  }

  set hash(value: string) {
    const input = toUSVString(value);
    if (input === "") {
      this.#url.fragment = null;
      stripTrailingSpacesFromOpaquePath(this.#url);
      return;
    }
    this.#url.fragment = "";
    this.#edit(input.charAt(0) === "#" ? input.slice(1) : input, FRAGMENT);
  }

  toString(): string {
    return serializeUrl(this.#url);
  }

  toJSON(): string {
    return serializeUrl(this.#url);
  }

  #edit(input: string, state: StateOverride): void {
    parseUrl(input, null, this.#url, state);
  }

  #querySet(): void {
    if (this.#searchParams !== null) resetUrlSearchParams(this.#searchParams, this.#url.query ?? "");
  }
}
