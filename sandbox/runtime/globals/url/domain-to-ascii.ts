// Domain to ASCII for URL hosts, without the Unicode IDNA tables: NFKC and lower-casing
// stand in for the UTS #46 mapping, then non-ASCII labels become Punycode. Ordinary
// internationalised names come out as browsers write them; rare mapping corner cases
// of UTS #46 may differ.

import { punycodeDecode, punycodeEncode } from "./punycode.ts";

// Code points UTS #46 maps to nothing (soft hyphen, zero width space, variation
// selectors, word joiner, BOM).
const IGNORED = /[\u00ad\u034f\u180b-\u180f\u200b\u2060\ufe00-\ufe0f\ufeff]/g;
// Code points UTS #46 disallows that NFKC would otherwise let through: C1 controls,
// U+FFFD (what invalid percent-encoded UTF-8 decodes to), unassigned, private use,
// format characters (joiners outside the rare contexts that allow them) and separators.
const DISALLOWED = /[\u0080-\u009f\ufffd\p{Cn}\p{Co}\p{Cf}\p{Z}]/u;
const IDEOGRAPHIC_STOPS = /[\u3002\uff0e\uff61]/g;
const NON_ASCII = /[^\0-\x7f]/;

function mapDomain(domain: string): string {
  const folded = domain.replace(IGNORED, "").replace(/\u1e9e/g, "ss").normalize("NFKC").toLowerCase();
  return folded.normalize("NFC").replace(IDEOGRAPHIC_STOPS, ".");
}

export function domainToAscii(domain: string): string | null {
  // The common all-ASCII case never touches the Unicode-property pattern, whose
  // first use is costly in a fresh isolate.
  let mapped = domain.toLowerCase();
  if (NON_ASCII.test(domain)) {
    mapped = mapDomain(domain);
    if (DISALLOWED.test(mapped)) return null;
  }
  const labels = mapped.split(".");
  for (let index = 0; index < labels.length; index++) {
    const label = labels[index]!;
    if (label.startsWith("xn--")) {
      if (!isValidAceLabel(label)) return null;
    } else if (NON_ASCII.test(label)) {
      labels[index] = "xn--" + punycodeEncode(label);
    }
  }
  const result = labels.join(".");
  return result === "" ? null : result;
}

// An "xn--" label must decode to a label that is already in mapped form.
function isValidAceLabel(label: string): boolean {
  if (NON_ASCII.test(label)) return false;
  const decoded = punycodeDecode(label.slice(4));
  if (decoded === null || decoded === "") return false;
  return mapDomain(decoded) === decoded && !DISALLOWED.test(decoded) && !decoded.includes(".");
}
