// Package builds are metered (SPEC §2, §10): ReadPackageMetadata runs the same build as
// an install (download, unpack, bundle, evaluate), so an invoke token may not use it as
// a free build service. Metadata reads and installs share the node's build slots, one
// tenant holds at most `package.tenant_max_builds` of them (past it RateLimited, at
// once), and what builds unpack into staging is held to `package.staging_max_bytes`.
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zipFiles } from "../host/package/zip-fixtures.ts";
import { entrySource, manifestOf, type PluginPackageSpec } from "./hostile-packages.ts";
import { startSecurityServer, type SecurityServer } from "./security-server.ts";

const STAGING_MAX_BYTES = 2 * 1024 * 1024;

let server: SecurityServer;
let slowUri = "";
let bigUri = "";

/** Evaluating it takes a while (its top level waits), so concurrent reads overlap. */
const SLOW: PluginPackageSpec = { name: "sec_slow_build", top: `{ const end = Date.now() + 500; while (Date.now() < end) {} }`, tools: `ok: defineTool({ run: () => "ok" }),` };
const BIG: PluginPackageSpec = { name: "sec_big_build", tools: `ok: defineTool({ run: () => "ok" }),` };

async function put(file: string, zip: Buffer): Promise<string> {
  const full = path.join(server.rt.dir, "pkgs", file);
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, zip);
  return `file://${full}`;
}

beforeAll(async () => {
  server = await startSecurityServer({
    HIAGENT_PACKAGE__TENANT_MAX_BUILDS: "1",
    HIAGENT_PACKAGE__MAX_CONCURRENT_BUILDS: "2",
    HIAGENT_PACKAGE__STAGING_MAX_BYTES: String(STAGING_MAX_BYTES),
  });
  slowUri = await put("slow.zip", await zipFiles({ "package.json": manifestOf(SLOW), "src/index.ts": entrySource(SLOW) }));
  // Within the package size limit, but unpacks past the staging budget.
  bigUri = await put("big.zip", await zipFiles({ "package.json": manifestOf(BIG), "src/index.ts": entrySource(BIG), "assets/blob.txt": randomBytes(2_400_000).toString("base64") }));
}, 120_000);

afterAll(async () => {
  await server?.close();
});

const read = (as: "a" | "b" | "admin", uri: string) => server.call(as, "ReadPackageMetadata", { uri, filename: "x.zip" });

describe("ReadPackageMetadata is metered like an install", () => {
  it("one tenant's concurrent reads past package.tenant_max_builds are RateLimited at once; another tenant is still served", async () => {
    const answers = await Promise.all([read("a", slowUri), read("a", slowUri), read("a", slowUri), read("a", slowUri), read("b", slowUri)]);
    const fromA = answers.slice(0, 4);
    expect(fromA.filter((r) => r.status === 200)).toHaveLength(1);
    const limited = fromA.filter((r) => r.status !== 200);
    expect(limited).toHaveLength(3);
    for (const r of limited) expect(r.body.error?.code).toBe("RateLimited");
    expect(answers[4]?.status, JSON.stringify(answers[4]?.body.error)).toBe(200);
    // Once A's build is done, A is served again.
    expect((await read("a", slowUri)).status).toBe(200);
  }, 30_000);

  it("a package unpacking past package.staging_max_bytes is refused while it unpacks, and leaves nothing staged", async () => {
    const res = await read("a", bigUri);
    expect(res.body.error?.code, JSON.stringify(res.body)).toBe("InvalidPackage");
    expect(res.body.error?.message).toMatch(/staging_max_bytes/);
    expect((await server.extensionsTree()).filter((p) => p.startsWith(".staging/"))).toEqual([]);
    expect((await read("a", slowUri)).status).toBe(200);
  }, 30_000);
});
