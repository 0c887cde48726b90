// Which origins a plugin's fetch may reach (SPEC §2 `permissions.fetch`, §7 fetch options).
// A package names its origins; the operator adds origins for every plugin
// (`extra_origins`) and removes some whatever a manifest says (`deny_origins`).
// Matching is on scheme + host + port; `*.example.com` covers every subdomain.
import { RuntimeError } from "../errors.ts";
import type { FetchOptions } from "../options.ts";
import { parseHostAsIp } from "./address-policy.ts";

/** One entry of an origin list, normalised. */
export interface OriginPattern {
  /** The entry as written, for messages. */
  source: string;
  protocol: "http:" | "https:";
  /** Lower-case host without a trailing dot; for a wildcard, the part after `*.`. */
  host: string;
  wildcard: boolean;
  port: number;
}

export type OriginDecision = { allowed: true } | { allowed: false; reason: string };

const DEFAULT_PORTS = { "http:": 80, "https:": 443 } as const;
// A label that cannot occur in a real host, so `*.` can ride through URL parsing.
const WILDCARD_STAND_IN = "wildcard--stand-in";

/**
 * Parses one origin entry such as `https://api.example.com`, `https://*.example.com` or
 * `http://127.0.0.1:4010`. Throws `InvalidPackage` (or `code`, for operator lists)
 * naming the entry when it is anything else.
 */
export function parseOriginPattern(
  entry: string,
  code: "InvalidPackage" | "InvalidConfig" = "InvalidPackage",
): OriginPattern {
  const invalid = (why: string): RuntimeError =>
    new RuntimeError(code, `invalid fetch origin "${entry}": ${why}`, { data: { origin: entry, reason: why } });
  if (typeof entry !== "string" || entry === "" || entry.trim() !== entry) throw invalid("not a plain origin string");
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(entry)?.[1]?.toLowerCase();
  if (scheme === undefined) throw invalid("expected scheme://host[:port]");
  const protocol = `${scheme}:`;
  if (protocol !== "http:" && protocol !== "https:") throw invalid("only http and https origins are allowed");
  const match = /^[^:]+:\/\/(\*\.)?([^/?#]*)\/?$/.exec(entry);
  if (match === null) throw invalid("expected scheme://host[:port] with no path, query or fragment");
  const [, star, rest = ""] = match;
  const wildcard = star !== undefined;
  if (rest.includes("@")) throw invalid("credentials are not allowed in an origin");

  let url: URL;
  try {
    url = new URL(`${protocol}//${wildcard ? `${WILDCARD_STAND_IN}.` : ""}${rest}`);
  } catch {
    throw invalid("not a valid URL origin");
  }
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "") {
    throw invalid("expected scheme://host[:port] with no path, query or fragment");
  }
  if (url.port === "0") throw invalid("port 0 is not a port");
  let host = normaliseHost(url.hostname);
  if (wildcard) host = host.slice(WILDCARD_STAND_IN.length + 1);
  if (host === "" || host.includes("*")) throw invalid("a wildcard may only be a leading `*.`");
  if (wildcard && (parseHostAsIp(host) !== null || !host.includes("."))) {
    throw invalid("a wildcard must cover a domain name such as `*.example.com`");
  }
  return { source: entry, protocol, host, wildcard, port: portOf(url) };
}

export function parseOriginPatterns(
  entries: readonly string[],
  code: "InvalidPackage" | "InvalidConfig" = "InvalidPackage",
): OriginPattern[] {
  return entries.map((entry) => parseOriginPattern(entry, code));
}

/** Whether `url`'s origin is covered by `pattern`. */
export function originMatches(pattern: OriginPattern, url: URL): boolean {
  if (url.protocol !== pattern.protocol || portOf(url) !== pattern.port) return false;
  const host = normaliseHost(url.hostname);
  return pattern.wildcard ? host.endsWith(`.${pattern.host}`) : host === pattern.host;
}

/** `scheme://host:port` with the port always spelled out, for messages and keys. */
export function describeOrigin(url: URL): string {
  return `${url.protocol}//${url.hostname}:${portOf(url)}`;
}

export class OriginPolicy {
  readonly allow: readonly OriginPattern[] | "any";
  readonly deny: readonly OriginPattern[];

  constructor(options: { allow: readonly OriginPattern[] | "any"; deny?: readonly OriginPattern[] }) {
    this.allow = options.allow;
    this.deny = options.deny ?? [];
  }

  /**
   * A package's policy: its manifest's `permissions.fetch` (absent = no network)
   * plus the operator's `extra_origins`, minus `deny_origins`.
   */
  static forPackage(
    manifestOrigins: readonly string[] | undefined,
    operator: Pick<FetchOptions, "extra_origins" | "deny_origins">,
  ): OriginPolicy {
    return new OriginPolicy({
      allow: [
        ...parseOriginPatterns(manifestOrigins ?? [], "InvalidPackage"),
        ...parseOriginPatterns(operator.extra_origins, "InvalidConfig"),
      ],
      deny: parseOriginPatterns(operator.deny_origins, "InvalidConfig"),
    });
  }

  /** Any http(s) origin except the denied ones: install sources, where the operator chose the URL. */
  static anyOrigin(denyOrigins: readonly string[] = []): OriginPolicy {
    return new OriginPolicy({ allow: "any", deny: parseOriginPatterns(denyOrigins, "InvalidConfig") });
  }

  check(url: URL): OriginDecision {
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return { allowed: false, reason: `the ${url.protocol} scheme is not allowed; only http and https are` };
    }
    if (url.username !== "" || url.password !== "") {
      return { allowed: false, reason: "credentials in URLs are not allowed" };
    }
    const origin = describeOrigin(url);
    const denied = this.deny.find((pattern) => originMatches(pattern, url));
    if (denied !== undefined) {
      return { allowed: false, reason: `origin ${origin} is denied by the operator (${denied.source})` };
    }
    if (this.allow === "any" || this.allow.some((pattern) => originMatches(pattern, url))) return { allowed: true };
    return {
      allowed: false,
      reason:
        this.allow.length === 0
          ? "the package declares no fetch origins (permissions.fetch)"
          : `origin ${origin} is not in the package's permissions.fetch`,
    };
  }

  /** Like `check`, but throws `FetchDenied` on refusal. */
  assertAllowed(url: URL): void {
    const decision = this.check(url);
    if (!decision.allowed) {
      throw new RuntimeError("FetchDenied", `fetch ${url.href} refused: ${decision.reason}`, {
        data: { url: url.href, reason: decision.reason, rule: "origin" },
      });
    }
  }
}

function portOf(url: URL): number {
  if (url.port !== "") return Number(url.port);
  return url.protocol === "http:" || url.protocol === "https:" ? DEFAULT_PORTS[url.protocol] : 0;
}

// `example.com.` names the same host as `example.com`; without this a trailing dot
// would slip past a deny entry. Literal addresses compare in their normal form.
function normaliseHost(hostname: string): string {
  const host = stripTrailingDot(hostname.toLowerCase());
  const ip = parseHostAsIp(host);
  if (ip === null) return host;
  return ip.family === 6 ? `[${ip.address}]` : ip.address;
}

function stripTrailingDot(host: string): string {
  return host.endsWith(".") ? host.slice(0, -1) : host;
}
