// The shape limits of a request body's JSON, checked on its text before it is parsed:
// nesting depth and the number of object keys. One tight loop over the characters, with
// no recursion and nothing allocated, so a body nested 100,000 deep or holding 700,000
// keys is refused cheaply as `InvalidRequest` instead of costing a parse (or a stack
// overflow in whatever walks the parsed value later).
import { RuntimeError } from "../../sandbox/errors.ts";

/** Arrays and objects nested deeper than this are refused. */
export const MAX_JSON_DEPTH = 128;
/** More object keys than this in one body (all its objects together) are refused. */
export const MAX_JSON_KEYS = 50_000;

const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/**
 * Throws `InvalidRequest` when `text` nests deeper than `MAX_JSON_DEPTH` or has more
 * than `MAX_JSON_KEYS` keys. Grammar is left to `JSON.parse`; `what` names the part.
 */
export function checkJsonShape(text: string, what = "the body"): void {
  const n = text.length;
  let depth = 0;
  let keys = 0;
  let inString = false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > MAX_JSON_DEPTH) throw new RuntimeError("InvalidRequest", `invalid request: ${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (c === COLON) {
      // Outside strings a colon follows exactly one key.
      if (++keys > MAX_JSON_KEYS) throw new RuntimeError("InvalidRequest", `invalid request: ${what} has more than ${MAX_JSON_KEYS} object keys`);
    }
  }
}
