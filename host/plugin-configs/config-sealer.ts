// Seals a stored plugin config with the deployment key: AES-256-GCM under a key derived
// (HKDF-SHA256) from the deployment key for this one purpose, with the record's owner
// (tenant, package, plugin) as additional data, so a sealed blob copied into another
// tenant's record does not open. A blob sealed under another key says so by its key id
// instead of failing as a bare authentication error.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { z } from "zod";
import { RuntimeError } from "../../sandbox/errors.ts";

export const SealedSchema = z.object({
  /** Which key sealed it: the first 16 hex digits of the derived key's SHA-256. */
  key_id: z.string(),
  iv: z.string(),
  tag: z.string(),
  data: z.string(),
});

export type Sealed = z.infer<typeof SealedSchema>;

export interface SealOwner {
  tenant: string;
  pkg: string;
  plugin: string;
}

const INFO = "hiagent plugin-config secrets v1";
const IV_BYTES = 12;

function ownerAad(owner: SealOwner): Buffer {
  return Buffer.from(JSON.stringify([owner.tenant, owner.pkg, owner.plugin]));
}

export class ConfigSealer {
  readonly #key: Buffer;
  readonly keyId: string;

  constructor(deploymentKey: Buffer) {
    this.#key = Buffer.from(hkdfSync("sha256", deploymentKey, Buffer.alloc(0), INFO, 32));
    this.keyId = createHash("sha256").update(this.#key).digest("hex").slice(0, 16);
  }

  seal(owner: SealOwner, plaintext: string): Sealed {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(ownerAad(owner));
    const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return { key_id: this.keyId, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") };
  }

  /** The plaintext; a blob this key cannot open is `Internal`, with a message saying why. */
  open(owner: SealOwner, sealed: Sealed): string {
    const what = `the stored config of ${owner.pkg}/${owner.plugin} for tenant ${owner.tenant}`;
    if (sealed.key_id !== this.keyId) {
      throw new RuntimeError(
        "Internal",
        `${what} was sealed with another deployment key (key id ${sealed.key_id}; this deployment's secrets key has id ${this.keyId}): restore that key in secrets.key / secrets.key_file, or set the config again`,
      );
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, Buffer.from(sealed.iv, "base64"));
      decipher.setAAD(ownerAad(owner));
      decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, "base64")), decipher.final()]).toString("utf8");
    } catch (err) {
      throw new RuntimeError("Internal", `${what} does not decrypt with this deployment's secrets key: it was altered or moved from another record; set it again`, { cause: err });
    }
  }
}
