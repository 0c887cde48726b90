// Sealing and redaction of stored plugin configs: a sealed config opens only with the
// key and owner it was sealed for, with messages that say why; secret fields are found
// through nesting, unions, records, arrays and $refs.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigSealer, REDACTED, redactSecrets } from "../../../host/plugin-configs/index.ts";

const owner = { tenant: "acme", pkg: "pkg", plugin: "Plugin" };

describe("ConfigSealer", () => {
  it("round-trips, and the ciphertext does not contain the plaintext", () => {
    const sealer = new ConfigSealer(randomBytes(32));
    const sealed = sealer.seal(owner, JSON.stringify({ api_key: "sk-very-secret-value" }));
    expect(JSON.stringify(sealed)).not.toContain("sk-very-secret-value");
    expect(Buffer.from(sealed.data, "base64").toString("latin1")).not.toContain("sk-very");
    expect(JSON.parse(sealer.open(owner, sealed))).toEqual({ api_key: "sk-very-secret-value" });
    expect(sealer.seal(owner, "x").iv).not.toBe(sealer.seal(owner, "x").iv);
  });

  it("another deployment key is refused by key id, naming both ids and the way out", () => {
    const sealed = new ConfigSealer(randomBytes(32)).seal(owner, "{}");
    const other = new ConfigSealer(randomBytes(32));
    expect(() => other.open(owner, sealed)).toThrow(/sealed with another deployment key \(key id [0-9a-f]{16}; this deployment's secrets key has id [0-9a-f]{16}\)/);
  });

  it("a blob moved to another tenant's record, or altered, does not open", () => {
    const sealer = new ConfigSealer(randomBytes(32));
    const sealed = sealer.seal(owner, "{}");
    expect(() => sealer.open({ ...owner, tenant: "other" }, sealed)).toThrow(/does not decrypt with this deployment's secrets key/);
    const flipped = Buffer.from(sealed.data, "base64");
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => sealer.open(owner, { ...sealed, data: flipped.toString("base64") })).toThrow(/altered/);
  });
});

describe("redactSecrets", () => {
  const secret = { type: "string", "x-hiagent-secret": true };
  it("replaces marked fields at any depth and keeps the rest", () => {
    const schema = {
      type: "object",
      properties: {
        api_key: secret,
        base_url: { type: "string" },
        nested: { type: "object", properties: { token: secret, region: { type: "string" } } },
        maybe: { anyOf: [secret, { type: "null" }] },
        headers: { type: "object", additionalProperties: secret },
        keys: { type: "array", items: { $ref: "#/$defs/Key" } },
      },
      $defs: { Key: { type: "object", properties: { value: secret, label: { type: "string" } } } },
    };
    const cfg = {
      api_key: "k1",
      base_url: "https://x",
      nested: { token: "k2", region: "eu" },
      maybe: "k3",
      headers: { Authorization: "k4" },
      keys: [{ value: "k5", label: "main" }],
      unknown: "kept",
    };
    expect(redactSecrets(cfg, schema)).toEqual({
      api_key: REDACTED,
      base_url: "https://x",
      nested: { token: REDACTED, region: "eu" },
      maybe: REDACTED,
      headers: { Authorization: REDACTED },
      keys: [{ value: REDACTED, label: "main" }],
      unknown: "kept",
    });
    expect(redactSecrets({ maybe: null }, schema)).toEqual({ maybe: null });
    expect(cfg.api_key).toBe("k1");
  });
});
