// Bearer tokens as the config holds them (`auth.tokens`): SHA-256 digests, each with a
// tenant and a role. A presented token is hashed and compared with every stored digest
// in constant time, without stopping at a match, so neither a comparison nor the
// lookup's duration tells a caller how close a guess came or where a token is listed.
// The server never holds a token itself, only its digest.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isRole, type Role } from "./roles.ts";

export interface TokenEntry {
  /** Hex SHA-256 of the token's UTF-8 text. */
  token_sha256: string;
  tenant: string;
  role: Role;
}

export interface AuthOptions {
  tokens: readonly TokenEntry[];
}

/** Who a request acts as. */
export interface Principal {
  tenant: string;
  role: Role;
}

/**
 * Tenant names end up in isolate keys and log fields, so they stay plain: letters,
 * digits, ".", "_" and "-", at most 64 characters.
 */
export const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Marks a string as one of ours, so secret scanners and humans recognise a leaked token. */
export const TOKEN_PREFIX = "hiagent_";

const DIGEST = /^[0-9a-fA-F]{64}$/;

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A new random token (256 bits) and the digest the config stores. */
export function mintToken(): { token: string; sha256: string } {
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  return { token, sha256: hashToken(token) };
}

interface StoredToken {
  digest: Buffer;
  principal: Principal;
}

export class TokenRegistry {
  readonly #tokens: StoredToken[] = [];

  /** Throws, naming the entry, on a malformed digest, tenant or role, or a repeated digest. */
  constructor(options: AuthOptions) {
    const seen = new Set<string>();
    options.tokens.forEach((entry, i) => {
      const where = `auth.tokens[${i}]`;
      if (!DIGEST.test(entry.token_sha256)) throw new Error(`${where}.token_sha256: must be 64 hex digits (the SHA-256 of the token)`);
      if (!TENANT_PATTERN.test(entry.tenant)) {
        throw new Error(`${where}.tenant: ${JSON.stringify(entry.tenant)} must be letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit)`);
      }
      if (!isRole(entry.role)) throw new Error(`${where}.role: must be "admin" or "invoke"`);
      const hex = entry.token_sha256.toLowerCase();
      if (seen.has(hex)) throw new Error(`${where}.token_sha256: the same token is listed twice`);
      seen.add(hex);
      this.#tokens.push({ digest: Buffer.from(hex, "hex"), principal: { tenant: entry.tenant, role: entry.role } });
    });
    if (this.#tokens.length === 0) throw new Error("auth.tokens: at least one token is needed");
  }

  /** The principal of a presented token, or null when it is not listed. */
  authenticate(token: string): Principal | null {
    const presented = createHash("sha256").update(token, "utf8").digest();
    let found: Principal | null = null;
    // Every entry is compared, whatever matched before: the time taken depends only
    // on the number of tokens configured.
    for (const stored of this.#tokens) {
      const match = timingSafeEqual(presented, stored.digest);
      found = match ? stored.principal : found;
    }
    return found;
  }
}
