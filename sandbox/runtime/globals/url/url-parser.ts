// The basic URL parser of the URL standard: one state machine over UTF-16 code units.
// With a state override it edits an existing record, which is how the URL setters
// (protocol, host, port, pathname, search, hash) work.
//
// Characters are collected raw and percent-encoded when a component is complete;
// that is equivalent to encoding each one as it arrives and keeps surrogate pairs whole.

import { someCodeUnit, trimCodeUnits } from "../code-unit-scan.ts";
import { parseHost } from "./host-parser.ts";
import {
  C0_CONTROL_SET,
  FRAGMENT_SET,
  PATH_SET,
  QUERY_SET,
  SPECIAL_QUERY_SET,
  USERINFO_SET,
  percentEncode,
} from "./percent-encoding.ts";
import { type UrlRecord, createUrlRecord, defaultPort, includesCredentials, isSpecialScheme } from "./url-record.ts";

export const SCHEME_START = 1;
const SCHEME = 2;
const NO_SCHEME = 3;
const SPECIAL_RELATIVE_OR_AUTHORITY = 4;
const PATH_OR_AUTHORITY = 5;
const RELATIVE = 6;
const RELATIVE_SLASH = 7;
const SPECIAL_AUTHORITY_SLASHES = 8;
const SPECIAL_AUTHORITY_IGNORE_SLASHES = 9;
const AUTHORITY = 10;
export const HOST = 11;
export const HOSTNAME = 12;
export const PORT = 13;
const FILE = 14;
const FILE_SLASH = 15;
const FILE_HOST = 16;
export const PATH_START = 17;
const PATH = 18;
const OPAQUE_PATH = 19;
export const QUERY = 20;
export const FRAGMENT = 21;

export type StateOverride =
  | typeof SCHEME_START
  | typeof HOST
  | typeof HOSTNAME
  | typeof PORT
  | typeof PATH_START
  | typeof QUERY
  | typeof FRAGMENT;

const EOF = "";

function isAsciiAlpha(char: string): boolean {
  const code = char.charCodeAt(0) | 0x20;
  return char.length === 1 && code >= 0x61 && code <= 0x7a;
}

function isAsciiAlphanumeric(char: string): boolean {
  return isAsciiAlpha(char) || (char.length === 1 && char >= "0" && char <= "9");
}

function isWindowsDriveLetter(input: string): boolean {
  return input.length === 2 && isAsciiAlpha(input.charAt(0)) && (input.charAt(1) === ":" || input.charAt(1) === "|");
}

function isNormalizedWindowsDriveLetter(input: string | undefined): boolean {
  return input !== undefined && input.length === 2 && isAsciiAlpha(input.charAt(0)) && input.charAt(1) === ":";
}

function startsWithWindowsDriveLetter(input: string, pointer: number): boolean {
  if (!isWindowsDriveLetter(input.slice(pointer, pointer + 2))) return false;
  const third = input.charAt(pointer + 2);
  return third === EOF || third === "/" || third === "\\" || third === "?" || third === "#";
}

function isSingleDot(segment: string): boolean {
  return segment === "." || segment.toLowerCase() === "%2e";
}

function isDoubleDot(segment: string): boolean {
  switch (segment.toLowerCase()) {
    case "..":
    case ".%2e":
    case "%2e.":
    case "%2e%2e":
      return true;
    default:
      return false;
  }
}

function shortenPath(url: UrlRecord): void {
  const path = url.path as string[];
  if (url.scheme === "file" && path.length === 1 && isNormalizedWindowsDriveLetter(path[0])) return;
  path.pop();
}

/**
 * Parses `input` against `base`. Returns the record, or null on failure. With `url`
 * and `stateOverride` it edits `url` in place and the result only says whether it did.
 */
export function parseUrl(
  input: string,
  base: UrlRecord | null,
  url?: UrlRecord,
  stateOverride?: StateOverride,
): UrlRecord | null {
  if (url === undefined) {
    url = createUrlRecord();
    input = trimCodeUnits(input, (unit) => unit <= 0x20);
  }
  if (someCodeUnit(input, (unit) => unit === 0x09 || unit === 0x0a || unit === 0x0d)) {
    input = input.replaceAll("\t", "").replaceAll("\n", "").replaceAll("\r", "");
  }
  let state: number = stateOverride ?? SCHEME_START;
  let buffer = "";
  let atSignSeen = false;
  let insideBrackets = false;
  let passwordTokenSeen = false;

  for (let pointer = 0; pointer <= input.length; pointer++) {
    const c = input.charAt(pointer);
    const special = isSpecialScheme(url.scheme);
    switch (state) {
      case SCHEME_START:
        if (isAsciiAlpha(c)) {
          buffer += c.toLowerCase();
          state = SCHEME;
        } else if (stateOverride === undefined) {
          state = NO_SCHEME;
          pointer--;
        } else {
          return null;
        }
        break;

      case SCHEME:
        if (isAsciiAlphanumeric(c) || c === "+" || c === "-" || c === ".") {
          buffer += c.toLowerCase();
        } else if (c === ":") {
          if (stateOverride !== undefined) {
            if (special !== isSpecialScheme(buffer)) return url;
            if ((includesCredentials(url) || url.port !== null) && buffer === "file") return url;
            if (url.scheme === "file" && url.host === "") return url;
          }
          url.scheme = buffer;
          if (stateOverride !== undefined) {
            if (url.port === defaultPort(url.scheme)) url.port = null;
            return url;
          }
          buffer = "";
          if (url.scheme === "file") {
            state = FILE;
          } else if (isSpecialScheme(url.scheme)) {
            const sameAsBase = base !== null && base.scheme === url.scheme;
            state = sameAsBase ? SPECIAL_RELATIVE_OR_AUTHORITY : SPECIAL_AUTHORITY_SLASHES;
          } else if (input.charAt(pointer + 1) === "/") {
            state = PATH_OR_AUTHORITY;
            pointer++;
          } else {
            url.path = "";
            state = OPAQUE_PATH;
          }
        } else if (stateOverride === undefined) {
          buffer = "";
          state = NO_SCHEME;
          pointer = -1;
        } else {
          return null;
        }
        break;

      case NO_SCHEME:
        if (base === null || (typeof base.path === "string" && c !== "#")) return null;
        if (typeof base.path === "string") {
          url.scheme = base.scheme;
          url.path = base.path;
          url.query = base.query;
          url.fragment = "";
          state = FRAGMENT;
        } else {
          state = base.scheme === "file" ? FILE : RELATIVE;
          pointer--;
        }
        break;

      case SPECIAL_RELATIVE_OR_AUTHORITY:
        if (c === "/" && input.charAt(pointer + 1) === "/") {
          state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
          pointer++;
        } else {
          state = RELATIVE;
          pointer--;
        }
        break;

      case PATH_OR_AUTHORITY:
        if (c === "/") {
          state = AUTHORITY;
        } else {
          state = PATH;
          pointer--;
        }
        break;

      case RELATIVE: {
        const from = base!;
        url.scheme = from.scheme;
        if (c === "/" || (isSpecialScheme(url.scheme) && c === "\\")) {
          state = RELATIVE_SLASH;
        } else {
          url.username = from.username;
          url.password = from.password;
          url.host = from.host;
          url.port = from.port;
          url.path = (from.path as string[]).slice();
          url.query = from.query;
          if (c === "?") {
            url.query = "";
            state = QUERY;
          } else if (c === "#") {
            url.fragment = "";
            state = FRAGMENT;
          } else if (c !== EOF) {
            url.query = null;
            shortenPath(url);
            state = PATH;
            pointer--;
          }
        }
        break;
      }

      case RELATIVE_SLASH:
        if (special && (c === "/" || c === "\\")) {
          state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
        } else if (c === "/") {
          state = AUTHORITY;
        } else {
          const from = base!;
          url.username = from.username;
          url.password = from.password;
          url.host = from.host;
          url.port = from.port;
          state = PATH;
          pointer--;
        }
        break;

      case SPECIAL_AUTHORITY_SLASHES:
        state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
        if (c === "/" && input.charAt(pointer + 1) === "/") pointer++;
        else pointer--;
        break;

      case SPECIAL_AUTHORITY_IGNORE_SLASHES:
        if (c !== "/" && c !== "\\") {
          state = AUTHORITY;
          pointer--;
        }
        break;

      case AUTHORITY:
        if (c === "@") {
          if (atSignSeen) buffer = "%40" + buffer;
          atSignSeen = true;
          const colon = passwordTokenSeen ? -1 : buffer.indexOf(":");
          if (passwordTokenSeen) {
            url.password += percentEncode(buffer, USERINFO_SET);
          } else if (colon < 0) {
            url.username += percentEncode(buffer, USERINFO_SET);
          } else {
            passwordTokenSeen = true;
            url.username += percentEncode(buffer.slice(0, colon), USERINFO_SET);
            url.password += percentEncode(buffer.slice(colon + 1), USERINFO_SET);
          }
          buffer = "";
        } else if (c === EOF || c === "/" || c === "?" || c === "#" || (special && c === "\\")) {
          if (atSignSeen && buffer === "") return null;
          pointer -= buffer.length + 1;
          buffer = "";
          state = HOST;
        } else {
          buffer += c;
        }
        break;

      case HOST:
      case HOSTNAME:
        if (stateOverride !== undefined && url.scheme === "file") {
          pointer--;
          state = FILE_HOST;
        } else if (c === ":" && !insideBrackets) {
          if (buffer === "" || stateOverride === HOSTNAME) return null;
          const host = parseHost(buffer, !special);
          if (host === null) return null;
          url.host = host;
          buffer = "";
          state = PORT;
        } else if (c === EOF || c === "/" || c === "?" || c === "#" || (special && c === "\\")) {
          pointer--;
          if (special && buffer === "") return null;
          if (stateOverride !== undefined && buffer === "" && (includesCredentials(url) || url.port !== null)) {
            return null;
          }
          const host = parseHost(buffer, !special);
          if (host === null) return null;
          url.host = host;
          buffer = "";
          state = PATH_START;
          if (stateOverride !== undefined) return url;
        } else {
          if (c === "[") insideBrackets = true;
          if (c === "]") insideBrackets = false;
          buffer += c;
        }
        break;

      case PORT:
        if (c.length === 1 && c >= "0" && c <= "9") {
          buffer += c;
        } else if (
          c === EOF ||
          c === "/" ||
          c === "?" ||
          c === "#" ||
          (special && c === "\\") ||
          stateOverride !== undefined
        ) {
          if (buffer !== "") {
            const port = parseInt(buffer, 10);
            if (port > 65535) return null;
            url.port = port === defaultPort(url.scheme) ? null : port;
            buffer = "";
            if (stateOverride !== undefined) return url;
          }
          if (stateOverride !== undefined) return null;
          state = PATH_START;
          pointer--;
        } else {
          return null;
        }
        break;

      case FILE:
        url.scheme = "file";
        url.host = "";
        if (c === "/" || c === "\\") {
          state = FILE_SLASH;
        } else if (base !== null && base.scheme === "file") {
          url.host = base.host;
          url.path = (base.path as string[]).slice();
          url.query = base.query;
          if (c === "?") {
            url.query = "";
            state = QUERY;
          } else if (c === "#") {
            url.fragment = "";
            state = FRAGMENT;
          } else if (c !== EOF) {
            url.query = null;
            if (!startsWithWindowsDriveLetter(input, pointer)) shortenPath(url);
            else url.path = [];
            state = PATH;
            pointer--;
          }
        } else {
          state = PATH;
          pointer--;
        }
        break;

      case FILE_SLASH:
        if (c === "/" || c === "\\") {
          state = FILE_HOST;
        } else {
          if (base !== null && base.scheme === "file") {
            url.host = base.host;
            const first = (base.path as string[])[0];
            if (!startsWithWindowsDriveLetter(input, pointer) && isNormalizedWindowsDriveLetter(first)) {
              (url.path as string[]).push(first!);
            }
          }
          state = PATH;
          pointer--;
        }
        break;

      case FILE_HOST:
        if (c === EOF || c === "/" || c === "\\" || c === "?" || c === "#") {
          pointer--;
          if (stateOverride === undefined && isWindowsDriveLetter(buffer)) {
            // The drive letter quirk: buffer is kept and becomes the first path segment.
            state = PATH;
          } else if (buffer === "") {
            url.host = "";
            if (stateOverride !== undefined) return url;
            state = PATH_START;
          } else {
            let host = parseHost(buffer, false);
            if (host === null) return null;
            if (host === "localhost") host = "";
            url.host = host;
            if (stateOverride !== undefined) return url;
            buffer = "";
            state = PATH_START;
          }
        } else {
          buffer += c;
        }
        break;

      case PATH_START:
        if (special) {
          state = PATH;
          if (c !== "/" && c !== "\\") pointer--;
        } else if (stateOverride === undefined && c === "?") {
          url.query = "";
          state = QUERY;
        } else if (stateOverride === undefined && c === "#") {
          url.fragment = "";
          state = FRAGMENT;
        } else if (c !== EOF) {
          state = PATH;
          if (c !== "/") pointer--;
        } else if (stateOverride !== undefined && url.host === null) {
          (url.path as string[]).push("");
        }
        break;

      case PATH: {
        const slash = c === "/" || (special && c === "\\");
        if (c === EOF || slash || (stateOverride === undefined && (c === "?" || c === "#"))) {
          const path = url.path as string[];
          if (isDoubleDot(buffer)) {
            shortenPath(url);
            if (!slash) path.push("");
          } else if (isSingleDot(buffer)) {
            if (!slash) path.push("");
          } else {
            if (url.scheme === "file" && path.length === 0 && isWindowsDriveLetter(buffer)) {
              buffer = buffer.charAt(0) + ":";
            }
            path.push(percentEncode(buffer, PATH_SET));
          }
          buffer = "";
          if (c === "?") {
            url.query = "";
            state = QUERY;
          } else if (c === "#") {
            url.fragment = "";
            state = FRAGMENT;
          }
        } else {
          buffer += c;
        }
        break;
      }

      case OPAQUE_PATH:
        if (c === "?" || c === "#" || c === EOF) {
          url.path = (url.path as string) + percentEncode(buffer, C0_CONTROL_SET);
          buffer = "";
          if (c === "?") {
            url.query = "";
            state = QUERY;
          } else if (c === "#") {
            url.fragment = "";
            state = FRAGMENT;
          }
        } else {
          buffer += c;
        }
        break;

      case QUERY:
        if ((stateOverride === undefined && c === "#") || c === EOF) {
          url.query += percentEncode(buffer, special ? SPECIAL_QUERY_SET : QUERY_SET);
          buffer = "";
          if (c === "#") {
            url.fragment = "";
            state = FRAGMENT;
          }
        } else {
          buffer += c;
        }
        break;

      case FRAGMENT:
        if (c === EOF) url.fragment += percentEncode(buffer, FRAGMENT_SET);
        else buffer += c;
        break;
    }
  }
  return url;
}
