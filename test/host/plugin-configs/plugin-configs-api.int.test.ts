// Stored per-tenant plugin configs on a running runtime, once over the local file and
// once over Redis: set / get (redacted) / list / delete as an invoke token and as an
// admin, tenants kept apart, a call without cfg running with the stored one, secrets
// encrypted at rest, bad configs refused with InvalidConfig / PluginInvalidConfig, and
// a wrong deployment key refused with a clear error.
import { createHmac } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_REDIS_PORT } from "../jobs/redis-test-env.ts";
import { KEYED, newSecretsKey, startConfigRuntime, type Backend, type ConfigRuntime } from "./plugin-config-runtime.ts";

const SECRET = "sk-live-7f3a9c1e5b2d4e6f";
const whoami = { ...KEYED, tool: "whoami", input: {} };
/** What the fixture answers for a key (it never holds the key itself, only its HMAC). */
const mac = (key: string) => createHmac("sha256", key).update("whoami").digest("hex");

async function rawStored(t: ConfigRuntime): Promise<string> {
  if (t.backend === "file") return readFile(t.rt.runtime.config.plugin_configs.file_path, "utf8");
  const client = new Redis({ host: "127.0.0.1", port: TEST_REDIS_PORT, maxRetriesPerRequest: 1 });
  try {
    return JSON.stringify(await client.hgetall(`${t.prefix}:plugin-configs:tenant-a`));
  } finally {
    client.disconnect();
  }
}

describe.each<Backend>(["file", "redis"])("stored plugin configs (%s store)", (backend) => {
  let t: ConfigRuntime;
  const key = newSecretsKey();

  beforeAll(async () => {
    // The file deployment runs without a key configured: one is generated on first start.
    t = await startConfigRuntime(backend, { env: backend === "redis" ? { HIAGENT_SECRETS__KEY: key } : {} });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it("an invoke token stores its tenant's config, answered with the secret redacted", async () => {
    const set = await t.call("a", "SetPluginConfig", { pkg: KEYED.pkg, plugin: KEYED.plugin, cfg: { api_key: SECRET, region: "us" } });
    expect(set.status).toBe(200);
    expect(set.body.data).toMatchObject({ tenant: "tenant-a", pkg: "keyed", plugin: "Keyed", version: "1.0.0", cfg: { api_key: "[redacted]", region: "us" } });
    const got = await t.call("a", "GetPluginConfig", { pkg: KEYED.pkg, plugin: KEYED.plugin });
    expect(got.body).toEqual({ data: set.body.data, error: null });
    const listed = await t.call("a", "ListPluginConfigs", {});
    expect(listed.body.data).toEqual([set.body.data]);
    expect(JSON.stringify([set.body, got.body, listed.body])).not.toContain(SECRET);
  });

  it("a call without cfg runs with the stored config; a call with cfg keeps using its own", async () => {
    const stored = await t.call("a", "RunPluginTool", whoami);
    expect(stored.body).toEqual({ data: { tenant: "tenant-a", region: "us", key_mac: mac(SECRET) }, error: null });
    const adapter = await t.post("a", "RunPluginToolAdapterRuntime?pkg=keyed&version=1.0.0&plugin=Keyed&tool=whoami", {});
    expect(((await adapter.json()) as { data: unknown }).data).toEqual({ tenant: "tenant-a", region: "us", key_mac: mac(SECRET) });
    const own = await t.call("a", "RunPluginTool", { ...whoami, cfg: { api_key: "given-per-call-1234" } });
    expect(own.body.data).toEqual({ tenant: "tenant-a", region: "eu", key_mac: mac("given-per-call-1234") });
    expect((await t.call("a", "RunPluginValidate", { ...KEYED })).body).toEqual({ data: null, error: null });
  });

  it("tenant A's stored config is invisible to tenant B, who may not name A either", async () => {
    expect((await t.call("b", "GetPluginConfig", { pkg: KEYED.pkg, plugin: KEYED.plugin })).body).toEqual({ data: null, error: null });
    expect((await t.call("b", "ListPluginConfigs", {})).body).toEqual({ data: [], error: null });
    const call = await t.call("b", "RunPluginTool", whoami);
    expect(call.status).toBe(422);
    expect(call.body.error?.code).toBe("InvalidConfig");
    for (const op of ["GetPluginConfig", "DeletePluginConfig", "ListPluginConfigs", "SetPluginConfig"]) {
      const target = op === "ListPluginConfigs" ? {} : { pkg: KEYED.pkg, plugin: KEYED.plugin };
      const named = await t.call("b", op, { ...target, tenant: "tenant-a", ...(op === "SetPluginConfig" ? { cfg: { api_key: "stolen-key-0000" } } : {}) });
      expect(named.status, op).toBe(403);
      expect(named.body.error).toMatchObject({ code: "Forbidden", message: expect.stringContaining("only its own tenant") as unknown });
    }
    expect((await t.call("a", "RunPluginTool", whoami)).body.data).toMatchObject({ key_mac: mac(SECRET) });
  });

  it("an admin manages any tenant's configs by naming it", async () => {
    const set = await t.call("admin", "SetPluginConfig", { pkg: KEYED.pkg, plugin: KEYED.plugin, version: "1.0.0", cfg: { api_key: "tenant-b-key-9876" }, tenant: "tenant-b" });
    expect(set.body.data).toMatchObject({ tenant: "tenant-b", cfg: { api_key: "[redacted]" } });
    expect((await t.call("b", "RunPluginTool", whoami)).body.data).toEqual({ tenant: "tenant-b", region: "eu", key_mac: mac("tenant-b-key-9876") });
    expect((await t.call("admin", "ListPluginConfigs", { tenant: "tenant-b" })).body.data).toHaveLength(1);
    expect((await t.call("admin", "ListPluginConfigs", {})).body.data).toEqual([]);
    expect((await t.call("admin", "DeletePluginConfig", { pkg: KEYED.pkg, plugin: KEYED.plugin, tenant: "tenant-b" })).body.data).toEqual({ deleted: true });
    expect((await t.call("b", "RunPluginTool", whoami)).body.error?.code).toBe("InvalidConfig");
  });

  it("a cfg the schema refuses is InvalidConfig, one validate rejects PluginInvalidConfig, and the stored one stays", async () => {
    const short = await t.call("a", "SetPluginConfig", { pkg: KEYED.pkg, plugin: KEYED.plugin, cfg: { api_key: "short" } });
    expect(short.status).toBe(422);
    expect(short.body.error?.code).toBe("InvalidConfig");
    expect(short.body.error?.data).toMatchObject({ issues: [{ path: ["api_key"] }] });
    // RunPluginValidate keeps HiAgent's answer for the same cfg.
    expect((await t.call("a", "RunPluginValidate", { ...KEYED, cfg: { api_key: "short" } })).body.error?.code).toBe("PluginInvalidConfig");
    const revoked = await t.call("a", "SetPluginConfig", { pkg: KEYED.pkg, plugin: KEYED.plugin, cfg: { api_key: "revoked-key-1111" } });
    expect(revoked.status).toBe(422);
    expect(revoked.body.error).toMatchObject({ code: "PluginInvalidConfig", message: expect.stringContaining("revoked upstream") as unknown });
    const unknownPlugin = await t.call("a", "SetPluginConfig", { pkg: KEYED.pkg, plugin: "Nope", cfg: { api_key: "whatever-key" } });
    expect(unknownPlugin.body.error?.code).toBe("PluginNotFound");
    const unknownPkg = await t.call("a", "SetPluginConfig", { pkg: "nope", plugin: "Keyed", cfg: {} });
    expect(unknownPkg.body.error?.code).toBe("PackageNotFound");
    const badBody = await t.call("a", "SetPluginConfig", { pkg: KEYED.pkg, plugin: KEYED.plugin, cfg: "not an object" });
    expect(badBody.body.error?.code).toBe("InvalidRequest");
    expect((await t.call("a", "RunPluginTool", whoami)).body.data).toMatchObject({ key_mac: mac(SECRET) });
  });

  it("the secret is encrypted at rest: the raw stored value holds no secret", async () => {
    const raw = await rawStored(t);
    expect(raw).toContain("[redacted]");
    expect(raw).toContain("sealed");
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain(SECRET.slice(-12));
    expect(raw).not.toContain(Buffer.from(SECRET).toString("base64").slice(0, 12));
    if (backend === "file") {
      expect((await stat(t.rt.runtime.config.plugin_configs.file_path)).mode & 0o777).toBe(0o600);
      const generated = t.rt.runtime.config.secrets.generated_key_file;
      expect(path.dirname(generated)).toBe(path.join(t.rt.dir, "data"));
      expect((await stat(generated)).mode & 0o777).toBe(0o600);
    }
    expect(JSON.stringify(t.rt.logs)).not.toContain(SECRET);
  });

  it("a runtime with another deployment key cannot decrypt it, and says so", async () => {
    const other = await startConfigRuntime(backend, {
      env: { ...t.sharedEnv, HIAGENT_SECRETS__KEY: newSecretsKey() },
      install: false,
      prefix: t.prefix,
    });
    try {
      const call = await other.call("a", "RunPluginTool", whoami);
      expect(call.status).toBe(500);
      expect(call.body.error?.message).toMatch(/sealed with another deployment key .*restore that key in secrets\.key \/ secrets\.key_file, or set the config again/);
      // Get needs no key: it shows the redacted copy.
      expect((await other.call("a", "GetPluginConfig", { pkg: KEYED.pkg, plugin: KEYED.plugin })).body.data).toMatchObject({ cfg: { api_key: "[redacted]" } });
    } finally {
      await other.close();
    }
    expect((await t.call("a", "RunPluginTool", whoami)).body.data).toMatchObject({ key_mac: mac(SECRET) });
  }, 60_000);

  it("delete forgets it: calls without cfg then fail as before, a second delete says so", async () => {
    expect((await t.call("a", "DeletePluginConfig", { pkg: KEYED.pkg, plugin: KEYED.plugin })).body).toEqual({ data: { deleted: true }, error: null });
    expect((await t.call("a", "DeletePluginConfig", { pkg: KEYED.pkg, plugin: KEYED.plugin })).body.data).toEqual({ deleted: false });
    expect((await t.call("a", "GetPluginConfig", { pkg: KEYED.pkg, plugin: KEYED.plugin })).body.data).toBeNull();
    expect((await t.call("a", "RunPluginTool", whoami)).body.error?.code).toBe("InvalidConfig");
  });
});

