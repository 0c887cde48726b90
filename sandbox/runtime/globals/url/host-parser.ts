// The URL host parser: IPv6 literals, opaque hosts of non-special schemes, and
// domains (percent-decoded, mapped to ASCII, possibly legacy IPv4 forms).
// Hosts are kept in their serialised form, which is all the URL API ever reads.

import { someCodeUnit } from "../code-unit-scan.ts";
import { decodeUtf8 } from "../utf8-codec.ts";
import { domainToAscii } from "./domain-to-ascii.ts";
import { endsInANumber, parseIPv4, parseIPv6, serializeIPv4, serializeIPv6 } from "./ip-address.ts";
import { C0_CONTROL_SET, percentDecode, percentEncode } from "./percent-encoding.ts";

function isForbiddenHostCodePoint(unit: number): boolean {
  if (unit === 0 || unit === 0x09 || unit === 0x0a || unit === 0x0d) return true;
  return ' #/:<>?@[\\]^|'.includes(String.fromCharCode(unit));
}

function isForbiddenDomainCodePoint(unit: number): boolean {
  return unit <= 0x20 || unit === 0x7f || "#%/:<>?@[\\]^|".includes(String.fromCharCode(unit));
}

/** Returns the serialised host, or null when `input` is not a valid host. */
export function parseHost(input: string, isOpaque: boolean): string | null {
  if (input.charAt(0) === "[") {
    if (input.charAt(input.length - 1) !== "]") return null;
    const address = parseIPv6(input.slice(1, -1));
    return address === null ? null : `[${serializeIPv6(address)}]`;
  }
  if (isOpaque) {
    return someCodeUnit(input, isForbiddenHostCodePoint) ? null : percentEncode(input, C0_CONTROL_SET);
  }
  const domain = input.includes("%") ? decodeUtf8(percentDecode(input)) : input;
  const asciiDomain = domainToAscii(domain);
  if (asciiDomain === null || someCodeUnit(asciiDomain, isForbiddenDomainCodePoint)) return null;
  if (endsInANumber(asciiDomain)) {
    const address = parseIPv4(asciiDomain);
    return address === null ? null : serializeIPv4(address);
  }
  return asciiDomain;
}
