// An undici Agent that checks the address it actually connects to (SPEC §9.6).
// Its connector resolves the host itself, refuses when any resolved address is not
// public (unless the operator allows private networks, globally or for the origin),
// and then connects to the address it checked, so a DNS answer that changes between
// check and connect (rebinding) cannot slip through.
import dns from "node:dns";
import { Agent, buildConnector } from "undici";
import { RuntimeError } from "../errors.ts";
import type { FetchOptions } from "../options.ts";
import { findNonPublicAddress, parseHostAsIp, type AddressClassification } from "./address-policy.ts";
import { originMatches, parseOriginPatterns, type OriginPattern } from "./origin-policy.ts";

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to all its addresses (the shape of `dns.promises.lookup(host, { all: true })`). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface GuardedAgentOptions extends Partial<Pick<FetchOptions, "allow_private_network" | "allow_private_origins">> {
  /** Time for DNS and TCP/TLS connect together; default 10 s. */
  connectTimeoutMs?: number;
  /** Replaces the system resolver (tests, or a resolver with its own cache). */
  resolve?: HostResolver;
  /** Passed to the TLS connect (e.g. `ca` for a private CA). */
  tls?: { ca?: string | Buffer | Array<string | Buffer>; rejectUnauthorized?: boolean };
}

const systemResolver: HostResolver = (hostname) =>
  dns.promises.lookup(hostname, { all: true, verbatim: true });

// Failures after which the next resolved address is worth a try; anything else
// (TLS errors, refusals) is final.
const RETRYABLE_CONNECT_CODES = new Set(["ECONNREFUSED", "ETIMEDOUT", "ENETUNREACH", "EHOSTUNREACH", "EADDRNOTAVAIL", "UND_ERR_CONNECT_TIMEOUT"]);

export function createGuardedAgent(options: GuardedAgentOptions = {}): Agent {
  return new Agent({ connect: createGuardedConnector(options) });
}

/** The connect function alone, for callers that build their own dispatcher. */
export function createGuardedConnector(options: GuardedAgentOptions = {}): buildConnector.connector {
  const allowAllPrivate = options.allow_private_network ?? false;
  const privateOrigins: OriginPattern[] = parseOriginPatterns(options.allow_private_origins ?? [], "InvalidConfig");
  const resolve = options.resolve ?? systemResolver;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const connectSocket = buildConnector({ timeout: connectTimeoutMs, ...options.tls });

  return (connectOptions, undiciCallback) => {
    const { protocol, hostname, port } = connectOptions;
    // The promise chain below must never answer undici twice.
    let answered = false;
    const callback: buildConnector.Callback = (...args) => {
      if (answered) return;
      answered = true;
      undiciCallback(...args);
    };
    const origin = new URL(`${protocol}//${hostname.includes(":") ? `[${hostname}]` : hostname}${port ? `:${port}` : ""}`);
    const privateAllowed = allowAllPrivate || privateOrigins.some((pattern) => originMatches(pattern, origin));

    withTimeout(resolveAddresses(hostname, resolve), connectTimeoutMs, `resolving ${hostname}`)
      .then((addresses) => {
        if (!privateAllowed) {
          const refused = findNonPublicAddress(addresses);
          if (refused !== undefined) throw addressRefusal(origin, hostname, refused);
        }
        connectInTurn(addresses, 0);
      })
      .catch((err: unknown) => callback(toConnectError(err, hostname), null));

    function connectInTurn(addresses: string[], index: number): void {
      const target = addresses[index];
      if (target === undefined) {
        callback(new RuntimeError("DownloadFailed", `no address to connect to for ${hostname}`), null);
        return;
      }
      // `hostname` becomes the checked address; `host` (the Host header) stays, so
      // TLS still sends SNI for, and verifies the certificate against, the name.
      connectSocket({ ...connectOptions, hostname: target }, (err, socket) => {
        if (err !== null) {
          const code = (err as NodeJS.ErrnoException).code;
          if (index + 1 < addresses.length && code !== undefined && RETRYABLE_CONNECT_CODES.has(code)) {
            connectInTurn(addresses, index + 1);
            return;
          }
          callback(err, null);
          return;
        }
        callback(null, socket);
      });
    }
  };
}

/** The addresses to check and connect to, in their normal form. */
async function resolveAddresses(hostname: string, resolve: HostResolver): Promise<string[]> {
  const literal = parseHostAsIp(hostname);
  if (literal !== null) return [literal.address];
  const resolved = await resolve(hostname);
  if (resolved.length === 0) throw new RuntimeError("DownloadFailed", `${hostname} has no addresses`);
  return resolved.map((r) => {
    // Connecting to a name would resolve it again, outside the check.
    const ip = parseHostAsIp(r.address);
    if (ip === null) throw new RuntimeError("DownloadFailed", `resolving ${hostname} gave ${r.address}, not an address`);
    return ip.address;
  });
}

function addressRefusal(origin: URL, hostname: string, refused: AddressClassification): RuntimeError {
  const what = `${refused.address} (${refused.range})`;
  const reason =
    parseHostAsIp(hostname) === null
      ? `${hostname} resolves to ${what}, which is not a public address`
      : `${what} is not a public address`;
  return new RuntimeError("FetchDenied", `fetch ${origin.origin} refused: ${reason}`, {
    data: { url: origin.href, reason, rule: "address", host: hostname, address: refused.address, range: refused.range },
  });
}

function toConnectError(err: unknown, hostname: string): Error {
  if (err instanceof RuntimeError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ENODATA") {
    return new RuntimeError("DownloadFailed", `could not resolve ${hostname} (${code})`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RuntimeError("DownloadFailed", `${what} took longer than ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
