// Who may scrape /metrics (an API node's or a worker's): a bearer token whose SHA-256 is
// `metrics.token_sha256`, an admin token of `auth`, or, on a server without `auth`, any
// caller on loopback. Metrics name packages and tools, so they are never public.
import { timingSafeEqual } from "node:crypto";
import { hashToken, TokenRegistry, type AuthOptions } from "../auth/index.ts";
import { RuntimeError } from "../../sandbox/errors.ts";

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
export const SCRAPE_CHALLENGE = 'Bearer realm="hiagent-plugin-runtime-metrics"';

export interface ScrapeRequest {
  authorization: string | undefined;
  /** The peer's address as the socket reports it (undefined when unknown). */
  remoteAddress: string | undefined;
}

function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.toLowerCase();
  return a === "::1" || a.startsWith("127.") || a.startsWith("::ffff:127.");
}

export class ScrapeAccess {
  readonly #registry: TokenRegistry | undefined;
  readonly #metricsDigest: Buffer | undefined;

  constructor(auth: AuthOptions | undefined, tokenSha256: string | undefined) {
    this.#registry = auth === undefined ? undefined : new TokenRegistry(auth);
    this.#metricsDigest = tokenSha256 === undefined ? undefined : Buffer.from(tokenSha256.toLowerCase(), "hex");
  }

  /** Returns when the scrape may proceed; throws Unauthorized or Forbidden otherwise. */
  check(req: ScrapeRequest): void {
    const token = req.authorization === undefined ? undefined : BEARER.exec(req.authorization)?.[1];
    if (token !== undefined) {
      if (this.#metricsDigest !== undefined && timingSafeEqual(Buffer.from(hashToken(token), "hex"), this.#metricsDigest)) return;
      const principal = this.#registry?.authenticate(token) ?? null;
      if (principal?.role === "admin") return;
      if (principal !== null) throw new RuntimeError("Forbidden", `a token with role ${principal.role} may not read /metrics`);
      throw new RuntimeError("Unauthorized", "the bearer token is malformed or unknown");
    }
    if (this.#registry === undefined && isLoopbackPeer(req.remoteAddress)) return;
    throw new RuntimeError("Unauthorized", "/metrics needs an admin token or the metrics token (Authorization: Bearer <token>)");
  }
}
