// package.json validation and entry resolution (SPEC §2).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseManifest, readManifest } from "../../../host/package/manifest.ts";
import { RuntimeError } from "../../../sandbox/errors.ts";

const base = { name: "hiagent_plugin_calc", version: "0.2.1" };

function problem(manifest: unknown): RuntimeError {
  try {
    parseManifest(JSON.stringify(manifest));
  } catch (err) {
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).code).toBe("InvalidPackage");
    return err as RuntimeError;
  }
  throw new Error("expected the manifest to be rejected");
}

describe("parseManifest", () => {
  it("accepts a minimal manifest and keeps npm keys it does not know", () => {
    const raw = parseManifest(JSON.stringify({ ...base, scripts: { test: "vitest" }, license: "MIT", type: "module" }));
    expect(raw.name).toBe("hiagent_plugin_calc");
    expect(raw["license"]).toBe("MIT");
  });

  it("accepts fetch origins, wildcards and ports", () => {
    const origins = ["https://api.bing.microsoft.com", "https://*.feishu.cn", "http://127.0.0.1:4010"];
    const raw = parseManifest(JSON.stringify({ ...base, hiagent: { permissions: { fetch: origins } } }));
    expect(raw.hiagent?.permissions?.fetch).toEqual(origins);
  });

  it.each([
    ["a scope", "@acme/calc"],
    ["upper case", "Calc"],
    ["a leading dot", ".calc"],
    ["a slash", "a/b"],
    ["too long", `a${"b".repeat(128)}`],
  ])("rejects a name with %s", (_label, name) => {
    const error = problem({ ...base, name });
    expect(error.message).toMatch(/^package.json name: /);
  });

  it.each(["1.0", "v1.0.0", "latest", "1.0.0+build.1", ""])("rejects version %j", (version) => {
    expect(problem({ ...base, version }).message).toMatch(/^package.json version: must be a semver version/);
  });

  it("names the path of a key with the wrong type", () => {
    const error = problem({ ...base, hiagent: { permissions: { fetch: ["https://a.example", 42] } } });
    expect(error.message).toMatch(/^package.json hiagent.permissions.fetch\[1\]: /);
    expect(error.data).toMatchObject({ issues: [{ path: "hiagent.permissions.fetch[1]" }] });
  });

  it.each([
    ["a path", "https://api.example.com/v1"],
    ["a query", "https://api.example.com?x=1"],
    ["credentials", "https://user:pw@api.example.com"],
    ["another scheme", "ftp://example.com"],
    ["a wildcard in the middle", "https://api.*.example.com"],
    ["no scheme", "api.example.com"],
  ])("rejects a fetch origin with %s", (_label, origin) => {
    const error = problem({ ...base, hiagent: { permissions: { fetch: [origin] } } });
    expect(error.message).toMatch(/^package.json hiagent.permissions.fetch\[0\]: /);
    expect(error.message).toContain(origin);
  });

  it("rejects unknown keys in the hiagent section (typos would silently do nothing)", () => {
    expect(problem({ ...base, hiagent: { entrypoint: "x.ts" } }).message).toMatch(/hiagent/);
  });

  it("rejects JSON that does not parse, and a manifest that is not an object", () => {
    expect(() => parseManifest("{ name: ")).toThrow(/package.json is not valid JSON/);
    expect(problem([1, 2]).message).toMatch(/package.json/);
  });
});

describe("readManifest: entry resolution", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "manifest-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(files: Record<string, string>): Promise<void> {
    for (const [name, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), text);
    }
  }
  const manifest = (extra: object) => JSON.stringify({ ...base, ...extra });

  it("uses hiagent.entry first", async () => {
    await write({ "package.json": manifest({ hiagent: { entry: "./lib/plugin.ts" }, main: "index.js" }), "lib/plugin.ts": "", "index.js": "" });
    expect((await readManifest(dir)).entry).toBe("lib/plugin.ts");
  });

  it("then main", async () => {
    await write({ "package.json": manifest({ main: "dist/main.js" }), "dist/main.js": "", "src/index.ts": "" });
    expect((await readManifest(dir)).entry).toBe("dist/main.js");
  });

  it("then src/index.ts, then index.js", async () => {
    await write({ "package.json": manifest({}), "src/index.ts": "", "index.js": "" });
    expect((await readManifest(dir)).entry).toBe("src/index.ts");
    await rm(path.join(dir, "src"), { recursive: true });
    expect((await readManifest(dir)).entry).toBe("index.js");
  });

  it("fails when the declared entry is missing, naming it", async () => {
    await write({ "package.json": manifest({ hiagent: { entry: "src/plugin.ts" } }), "src/index.ts": "" });
    await expect(readManifest(dir)).rejects.toThrow(/hiagent.entry: entry src\/plugin.ts is not in the package/);
  });

  it("fails when there is no entry at all", async () => {
    await write({ "package.json": manifest({}) });
    await expect(readManifest(dir)).rejects.toThrow(/package has no entry/);
  });

  it("refuses an entry outside the package", async () => {
    await write({ "package.json": manifest({ main: "../outside.js" }) });
    await expect(readManifest(dir)).rejects.toThrow(/main: "..\/outside.js" is not a path inside the package/);
    await write({ "package.json": manifest({ main: "/etc/passwd.js" }) });
    await expect(readManifest(dir)).rejects.toThrow(/not a path inside the package/);
  });

  it("fails without package.json", async () => {
    await expect(readManifest(dir)).rejects.toThrow(/package.json is missing/);
  });

  it("returns the fetch origins (none when absent)", async () => {
    await write({ "package.json": manifest({}), "index.js": "" });
    expect((await readManifest(dir)).fetchOrigins).toEqual([]);
  });
});
