// Which IP addresses a plugin's fetch may connect to (SPEC §4, §9.6).
// Only ordinary public unicast is "public". Everything else is refused unless the
// operator allows private networks: loopback, private, link-local (incl. the cloud
// metadata address), CGNAT, multicast, reserved, benchmarking and documentation
// ranges, and the IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4, Teredo),
// which are judged by the address they carry.
import ipaddr from "ipaddr.js";

export type IpFamily = 4 | 6;

/** An IP address in its normalised text form (dotted IPv4, RFC 5952 IPv6). */
export interface ParsedIp {
  family: IpFamily;
  address: string;
}

export interface AddressClassification {
  /** Normalised address, or the input itself when it is not an IP address. */
  address: string;
  family: IpFamily | null;
  /** `unicast` for an ordinary public address; otherwise the special range it is in. */
  range: string;
  /** For IPv6 forms that carry an IPv4 address: the IPv4 address that decided. */
  embeddedIpv4?: string;
  isPublic: boolean;
}

type Cidr4 = [ipaddr.IPv4, number];
type Cidr6 = [ipaddr.IPv6, number];

// Checked before ipaddr.js's own ranges, because ipaddr.js files these under the
// generic "reserved" and a refusal message should say what the range really is.
const IPV4_NAMED_RANGES: ReadonlyArray<[string, Cidr4]> = [
  ["benchmarking", ipaddr.IPv4.parseCIDR("198.18.0.0/15")],
  ["documentation", ipaddr.IPv4.parseCIDR("192.0.2.0/24")],
  ["documentation", ipaddr.IPv4.parseCIDR("198.51.100.0/24")],
  ["documentation", ipaddr.IPv4.parseCIDR("203.0.113.0/24")],
  ["ietfProtocolAssignments", ipaddr.IPv4.parseCIDR("192.0.0.0/24")],
];

const IPV6_NAMED_RANGES: ReadonlyArray<[string, Cidr6]> = [
  ["documentation", ipaddr.IPv6.parseCIDR("2001:db8::/32")],
  ["documentation", ipaddr.IPv6.parseCIDR("3fff::/20")],
  ["benchmarking", ipaddr.IPv6.parseCIDR("2001:2::/48")],
];

const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR("64:ff9b::/96");
// Only 2000::/3 is allocated for global unicast; anything outside it that no named
// range claims (e.g. the deprecated IPv4-compatible ::a.b.c.d) is refused.
const IPV6_GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR("2000::/3");

/**
 * Reads a host as an IP address, accepting every IPv4 spelling the WHATWG URL parser
 * accepts (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`, a trailing dot) and IPv6 with
 * or without brackets. Returns null for anything that is a name rather than an address.
 */
export function parseHostAsIp(host: string): ParsedIp | null {
  const ip = parseIp(host);
  if (ip === null) return null;
  return ip.kind() === "ipv4"
    ? { family: 4, address: ip.toString() }
    : { family: 6, address: (ip as ipaddr.IPv6).toRFC5952String() };
}

/** Says which range an address is in and whether a plugin may reach it by default. */
export function classifyAddress(ip: string): AddressClassification {
  const parsed = parseIp(ip);
  if (parsed === null) return { address: ip, family: null, range: "invalid", isPublic: false };
  return parsed.kind() === "ipv4" ? classifyIpv4(parsed as ipaddr.IPv4) : classifyIpv6(parsed as ipaddr.IPv6);
}

export function isPublicAddress(ip: string): boolean {
  return classifyAddress(ip).isPublic;
}

/**
 * The first address of a DNS answer that is not public, if any. One bad address
 * refuses the whole answer: the connection could be made to any of them.
 */
export function findNonPublicAddress(addresses: readonly string[]): AddressClassification | undefined {
  for (const address of addresses) {
    const classification = classifyAddress(address);
    if (!classification.isPublic) return classification;
  }
  return undefined;
}

function classifyIpv4(ip: ipaddr.IPv4): AddressClassification {
  const range = ipv4Range(ip);
  return { address: ip.toString(), family: 4, range, isPublic: range === "unicast" };
}

function ipv4Range(ip: ipaddr.IPv4): string {
  for (const [name, cidr] of IPV4_NAMED_RANGES) if (ip.match(cidr)) return name;
  return ip.range();
}

function classifyIpv6(ip: ipaddr.IPv6): AddressClassification {
  const address = ip.toRFC5952String();
  const range = ipv6Range(ip);
  const embedded = embeddedIpv4(ip, range);
  if (embedded !== null) {
    // A v6 address that carries a v4 one reaches (or is translated to) that v4
    // address, so the v4 address decides; the outer range stays in the report.
    const inner = classifyIpv4(embedded);
    return {
      address,
      family: 6,
      range: inner.isPublic ? range : `${range}(${inner.range})`,
      embeddedIpv4: inner.address,
      isPublic: inner.isPublic,
    };
  }
  const isPublic = range === "unicast" && ip.match(IPV6_GLOBAL_UNICAST);
  return { address, family: 6, range: isPublic || range !== "unicast" ? range : "reserved", isPublic };
}

function ipv6Range(ip: ipaddr.IPv6): string {
  for (const [name, cidr] of IPV6_NAMED_RANGES) if (ip.match(cidr)) return name;
  return ip.range();
}

/** The IPv4 address an IPv6 form carries, when its range is one that carries one. */
function embeddedIpv4(ip: ipaddr.IPv6, range: string): ipaddr.IPv4 | null {
  const p = ip.parts;
  const word = (i: number): number => p[i] ?? 0;
  const fromWords = (hi: number, lo: number): ipaddr.IPv4 =>
    new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  switch (range) {
    case "ipv4Mapped": // ::ffff:a.b.c.d
    case "rfc6145": // ::ffff:0:a.b.c.d (IPv4-translated)
      return fromWords(word(6), word(7));
    case "rfc6052":
      // 64:ff9b::/96 puts the v4 address in the last 32 bits. The local-use
      // 64:ff9b:1::/48 may place it elsewhere, so it carries an unknown address
      // and is refused as a whole (the caller sees range "rfc6052").
      return ip.match(NAT64_WELL_KNOWN) ? fromWords(word(6), word(7)) : null;
    case "6to4": // 2002:AABB:CCDD::/48 carries AA.BB.CC.DD
      return fromWords(word(1), word(2));
    case "teredo": {
      // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC: the client address (bit-inverted) is
      // where traffic goes; the server address must be public too.
      const server = fromWords(word(2), word(3));
      const client = fromWords(word(6) ^ 0xffff, word(7) ^ 0xffff);
      return classifyIpv4(server).isPublic ? client : server;
    }
    default:
      return null;
  }
}

function parseIp(host: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  let text = host.trim();
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  if (text.includes(":")) {
    try {
      return ipaddr.IPv6.parse(text);
    } catch {
      return null;
    }
  }
  const octets = parseWhatwgIpv4(text);
  return octets === null ? null : new ipaddr.IPv4(octets);
}

/**
 * The WHATWG URL "IPv4 parser": up to four dot-separated numbers, each decimal, `0x`
 * hex or `0`-prefixed octal, the last filling the remaining bytes. Written out here
 * rather than left to a library so that what we check is exactly what URL parsing
 * (and so the connection) would produce.
 */
function parseWhatwgIpv4(text: string): number[] | null {
  if (text === "") return null;
  const parts = text.split(".");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  if (parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const value = parseWhatwgIpv4Number(part);
    if (value === null) return null;
    numbers.push(value);
  }
  const last = numbers.pop();
  if (last === undefined) return null;
  if (numbers.some((n) => n > 255)) return null;
  if (last >= 256 ** (4 - numbers.length)) return null;
  let value = last;
  numbers.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

function parseWhatwgIpv4Number(part: string): number | null {
  if (part === "") return null;
  let digits = part;
  let radix = 10;
  if (/^0x/i.test(digits)) {
    digits = digits.slice(2);
    radix = 16;
  } else if (digits.length > 1 && digits.startsWith("0")) {
    digits = digits.slice(1);
    radix = 8;
  }
  if (digits === "") return 0;
  const valid = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return null;
  const value = Number.parseInt(digits, radix);
  // Anything this large is out of range whatever its exact value.
  return Number.isSafeInteger(value) ? value : Number.MAX_SAFE_INTEGER;
}
