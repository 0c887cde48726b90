// Keeps every label value bounded, so no caller can grow the number of series: a value
// must be a known name (an installed package, a listed operation, an error code) and
// each label takes at most a fixed number of distinct values; past that, and for
// anything unknown or oddly spelled, the value is a fixed placeholder.
import { isErrorCode } from "../../sandbox/errors.ts";

/** What an unknown or unresolved name becomes. */
export const UNKNOWN = "_unknown";
/** What a name beyond a label's cap becomes. */
export const OTHER = "_other";
/** The `code`/`outcome` of a success. */
export const OK = "ok";

const NAME = /^[A-Za-z0-9@._:/+-]{1,128}$/;

/** Distinct values one label may take before new ones fold into OTHER. */
export class BoundedLabel {
  readonly #seen = new Set<string>();
  constructor(private readonly max: number) {}

  value(raw: string | undefined | null): string {
    if (raw === undefined || raw === null || !NAME.test(raw)) return UNKNOWN;
    if (this.#seen.has(raw)) return raw;
    if (this.#seen.size >= this.max) return OTHER;
    this.#seen.add(raw);
    return raw;
  }
}

const HTTP_STATUS = /^http_[1-5][0-9][0-9]$/;

/** An error code from the error table (or `http_<status>` for a refusal without one), `ok` for none, UNKNOWN for anything else. */
export function codeLabel(code: string | undefined): string {
  if (code === undefined) return OK;
  return isErrorCode(code) || HTTP_STATUS.test(code) ? code : UNKNOWN;
}
