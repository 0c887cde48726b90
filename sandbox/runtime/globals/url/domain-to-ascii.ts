// Domain to ASCII for URL hosts, without the Unicode IDNA tables: NFKC and lower-casing
// stand in for the UTS #46 mapping, then non-ASCII labels become Punycode. Ordinary
// internationalised names come out as browsers write them; rare mapping corner cases
// of UTS #46 may differ.

import { punycodeDecode, punycodeEncode } from "./punycode.ts";

// Code points UTS #46 maps to nothing (soft hyphen, joiners, variation selectors, BOM).
const IGNORED = /[\u00ad\u034f\u180b-\u180f\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]/g;
// Code points UTS #46 disallows that NFKC would otherwise let through.
const DISALLOWED = /[\u0080-\u009f\ufffd]/;
const IDEOGRAPHIC_STOPS = /[\u3002\uff0e\uff61]/g;
const NON_ASCII = /[^\0-\x7f]/;

function mapDomain(domain: string): string {
  return domain.replace(IGNORED, "").normalize("NFKC").toLowerCase().normalize("NFC").replace(IDEOGRAPHIC_STOPS, ".");
}

export function domainToAscii(domain: string): string | null {
  const mapped = NON_ASCII.test(domain) ? mapDomain(domain) : domain.toLowerCase();
  if (DISALLOWED.test(mapped)) return null;
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

// An "xn--" label must decode to a non-ASCII label that is already in mapped form.
function isValidAceLabel(label: string): boolean {
  if (NON_ASCII.test(label)) return false;
  const decoded = punycodeDecode(label.slice(4));
  if (decoded === null || decoded === "" || !NON_ASCII.test(decoded)) return false;
  return mapDomain(decoded) === decoded && !DISALLOWED.test(decoded) && !decoded.includes(".");
}
