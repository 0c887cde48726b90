// The host half of `crypto.subtle`'s HMAC: the isolate hands over the raw key bytes it
// imported and the data, and gets the MAC back. When the key bytes hold a placeholder
// of the call (what `new TextEncoder().encode(cfg.secret)` gives), the real secret is
// signed with, so a plugin can sign requests (Feishu, AWS-style) without holding it.
import { createHmac } from "node:crypto";
import { RuntimeError } from "../errors.ts";
import type { CallSecrets } from "./secret-placeholders.ts";

const HASHES = { "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" } as const;
export type HmacHash = keyof typeof HASHES;
/** Key plus data per signature: well above any request a plugin signs. */
export const MAX_HMAC_BYTES = 4 * 1024 * 1024;

export interface HmacRequest {
  hash: string;
  /** Key and data bytes as latin1 text, as every byte string crossing the bridge. */
  key: string;
  data: string;
}

export function isHmacHash(name: string): name is HmacHash {
  return Object.hasOwn(HASHES, name);
}

/** The MAC as latin1 text of its bytes. */
export function signHmac(req: HmacRequest, secrets: CallSecrets | null): string {
  if (typeof req.hash !== "string" || !isHmacHash(req.hash)) throw new RuntimeError("ToolError", `HMAC hash must be one of ${Object.keys(HASHES).join(", ")}`);
  if (typeof req.key !== "string" || typeof req.data !== "string") throw new RuntimeError("ToolError", "malformed HMAC request");
  if (req.key.length + req.data.length > MAX_HMAC_BYTES) throw new RuntimeError("ToolError", `HMAC key and data are larger than ${MAX_HMAC_BYTES} bytes`);
  const raw = Buffer.from(req.key, "latin1");
  const key = secrets ? secrets.keyBytes(raw) : raw;
  return createHmac(HASHES[req.hash], key).update(Buffer.from(req.data, "latin1")).digest().toString("latin1");
}
