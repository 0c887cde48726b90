// Domain to ASCII for URL hosts, without the Unicode IDNA tables: NFKC and lower-casing
// stand in for the UTS #46 mapping, then non-ASCII labels become Punycode. Ordinary
// internationalised names come out as browsers write them; rare mapping corner cases
// of UTS #46 may differ.
//
// The common all-ASCII case runs no regular expression (see code-unit-scan.ts); the
// patterns for the rest are written where they are used, so that no isolate creates
// them unless it meets an internationalised name.

import { someCodeUnit } from "../code-unit-scan.ts";
import { punycodeDecode, punycodeEncode } from "./punycode.ts";

function isAscii(input: string): boolean {
  return !someCodeUnit(input, (unit) => unit > 0x7f);
}

function mapDomain(domain: string): string {
  // Code points UTS #46 maps to nothing (soft hyphen, zero width space, variation
  // selectors, word joiner, BOM), and capital sharp s, which it maps to "ss".
  const folded = domain
    .replace(/[\u00ad\u034f\u180b-\u180f\u200b\u2060\ufe00-\ufe0f\ufeff]/g, "")
    .replace(/\u1e9e/g, "ss")
    .normalize("NFKC")
    .toLowerCase();
  return folded.normalize("NFC").replace(/[\u3002\uff0e\uff61]/g, ".");
}

// Code points UTS #46 disallows that NFKC would otherwise let through: C1 controls,
// U+FFFD (what invalid percent-encoded UTF-8 decodes to), unassigned, private use,
// format characters (joiners outside the rare contexts that allow them) and separators.
function hasDisallowed(mapped: string): boolean {
  return /[\u0080-\u009f\ufffd\p{Cn}\p{Co}\p{Cf}\p{Z}]/u.test(mapped);
}

export function domainToAscii(domain: string): string | null {
  let mapped = domain.toLowerCase();
  if (!isAscii(domain)) {
    mapped = mapDomain(domain);
    if (hasDisallowed(mapped)) return null;
  }
  const labels = mapped.split(".");
  for (let index = 0; index < labels.length; index++) {
    const label = labels[index]!;
    if (label.startsWith("xn--")) {
      if (!isValidAceLabel(label)) return null;
    } else if (!isAscii(label)) {
      labels[index] = "xn--" + punycodeEncode(label);
    }
  }
  const result = labels.join(".");
  return result === "" ? null : result;
}

// An "xn--" label must decode to a label that is already in mapped form.
function isValidAceLabel(label: string): boolean {
  if (!isAscii(label)) return false;
  const decoded = punycodeDecode(label.slice(4));
  if (decoded === null || decoded === "") return false;
  return mapDomain(decoded) === decoded && !hasDisallowed(decoded) && !decoded.includes(".");
}
