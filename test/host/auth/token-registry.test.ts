// The token registry: digests only, a lookup that compares every entry, and a config
// that names the bad entry when it is wrong.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hashToken, mintToken, roleAllows, TOKEN_PREFIX, TokenRegistry } from "../../../host/auth/index.ts";

const entry = (token: string, tenant: string, role: "admin" | "invoke") => ({ token_sha256: hashToken(token), tenant, role });

describe("mintToken and hashToken", () => {
  it("mints 256-bit random tokens with a recognisable prefix, and their SHA-256", () => {
    const { token, sha256 } = mintToken();
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(Buffer.from(token.slice(TOKEN_PREFIX.length), "base64url")).toHaveLength(32);
    expect(sha256).toBe(createHash("sha256").update(token).digest("hex"));
    expect(mintToken().token).not.toBe(token);
  });
});

describe("TokenRegistry", () => {
  const registry = new TokenRegistry({
    tokens: [entry("alpha-token", "acme", "admin"), entry("beta-token", "globex", "invoke"), { ...entry("gamma-token", "initech", "invoke"), token_sha256: hashToken("gamma-token").toUpperCase() }],
  });

  it("finds the tenant and role of a listed token, wherever it is listed", () => {
    expect(registry.authenticate("alpha-token")).toEqual({ tenant: "acme", role: "admin" });
    expect(registry.authenticate("beta-token")).toEqual({ tenant: "globex", role: "invoke" });
    expect(registry.authenticate("gamma-token")).toEqual({ tenant: "initech", role: "invoke" });
  });

  it("knows nothing of unlisted, empty, near-miss or digest-as-token strings", () => {
    for (const guess of ["", "alpha-token ", "alpha-toke", "ALPHA-TOKEN", hashToken("alpha-token")]) expect(registry.authenticate(guess)).toBeNull();
  });

  it("refuses a config it cannot enforce, naming the entry", () => {
    const ok = entry("t", "acme", "admin");
    expect(() => new TokenRegistry({ tokens: [] })).toThrow(/at least one token/);
    expect(() => new TokenRegistry({ tokens: [ok, { ...ok, token_sha256: "abc" }] })).toThrow(/auth\.tokens\[1\]\.token_sha256/);
    expect(() => new TokenRegistry({ tokens: [ok, { ...entry("u", "acme", "admin"), tenant: "bad tenant/../x" }] })).toThrow(/auth\.tokens\[1\]\.tenant/);
    expect(() => new TokenRegistry({ tokens: [ok, { ...entry("u", "acme", "admin"), role: "root" as "admin" }] })).toThrow(/auth\.tokens\[1\]\.role/);
    expect(() => new TokenRegistry({ tokens: [ok, { ...ok, tenant: "other" }] })).toThrow(/listed twice/);
  });
});

describe("roles", () => {
  const admin = ["InstallPackage", "InstallPackageAsync", "GetInstallPackageAsyncStatus", "CancelInstallPackage", "RetryInstallPackage", "DeletePackage", "SetChannel", "RollbackChannel", "GetChannels"];
  const invoke = ["RunPluginTool", "RunPluginValidate", "RunPluginToolAdapterRuntime", "ListPackages", "ReadPackageMetadata", "GetUsage", "Health"];

  it("admin may call everything", () => {
    for (const op of [...admin, ...invoke, "SomethingNew"]) expect(roleAllows("admin", op)).toBe(true);
  });

  it("invoke may run, validate, list, read metadata, read its usage and health; everything else is admin-only, new operations included", () => {
    for (const op of invoke) expect(roleAllows("invoke", op)).toBe(true);
    for (const op of [...admin, "SomethingNew"]) expect(roleAllows("invoke", op)).toBe(false);
  });
});
