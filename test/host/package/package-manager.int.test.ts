// The package manager end to end with the real sandbox (child processes, isolates):
// install, run, read metadata, list, replace, delete, races and cancellation.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PackageManager, type BuildStage } from "../../../host/package/index.ts";
import { createSandbox, SandboxOptionsSchema } from "../../../sandbox/index.ts";
import { FetchOptionsSchema } from "../../../sandbox/options.ts";
import { FIXTURES_DIR, writeRawZip, zipFiles, zipFolder } from "./zip-fixtures.ts";

const sandbox = createSandbox(SandboxOptionsSchema.parse({ processes: 1, timeout_ms: 5_000 }));
let root: string;
let extensions: string;
let drops: string;
let manager: PackageManager;
const ARTIFACT_KEY = randomBytes(32);

beforeAll(async () => {
  await sandbox.start();
  root = await realpath(await mkdtemp(path.join(tmpdir(), "package-manager-")));
  drops = path.join(root, "drops");
  await mkdir(drops);
  await writeFile(path.join(drops, "calculator.zip"), await zipFolder(path.join(FIXTURES_DIR, "calculator"), { folder: "calculator/" }));
  await writeFile(path.join(drops, "wasm-adder.zip"), await zipFolder(path.join(FIXTURES_DIR, "wasm-adder")));
}, 60_000);

afterAll(async () => {
  await sandbox.close();
  await rm(root, { recursive: true, force: true });
});

beforeEach(async () => {
  extensions = path.join(root, `extensions-${Math.random().toString(36).slice(2)}`);
  manager = new PackageManager({
    extensionsDir: extensions,
    sandbox,
    maxPackageBytes: 10 * 1024 * 1024,
    fileRoots: [drops],
    fetch: FetchOptionsSchema.parse({}),
    artifactKey: ARTIFACT_KEY,
  });
});

/** The digests of an installed folder's artifact record, as the host hands them to the sandbox. */
async function artifactsOf(dir: string): Promise<Record<string, string>> {
  return (JSON.parse(await readFile(path.join(dir, "artifacts.json"), "utf8")) as { files: Record<string, string> }).files;
}

async function drop(name: string, files: Record<string, string>): Promise<string> {
  await writeFile(path.join(drops, name), await zipFiles(files));
  return `file://${name}`;
}

/** A one-plugin package whose entry is `source`. */
function plugin(name: string, source: string, version = "1.0.0"): Record<string, string> {
  return { "package.json": JSON.stringify({ name, version }), "src/index.ts": source };
}

const CALC_PLUGIN = `import { definePlugin, defineTool, z } from "hiagent-plugin-sdk";
export default definePlugin({ name: "P", tools: { t: defineTool({ input: z.object({}), run: () => DESCRIPTION }) } });
const DESCRIPTION = "v";`;

/** What is left in the dot-folders: must be nothing after any install, failed or not. */
async function leftovers(): Promise<string[]> {
  const found: string[] = [];
  for (const folder of [".staging", ".trash", ".locks"]) {
    for (const name of await readdir(path.join(extensions, folder)).catch(() => [])) found.push(`${folder}/${name}`);
  }
  return found;
}

describe("PackageManager.install", () => {
  it("installs the calculator fixture and its tools run in the sandbox", async () => {
    const stages: [BuildStage, number][] = [];
    const meta = await manager.install({ uri: "file://calculator.zip", filename: "calc.zip" }, { onStage: (stage, progress) => stages.push([stage, progress]) });
    expect(stages.map(([stage]) => stage)).toEqual(["download", "unpack", "bundle", "inspect", "precompile", "publish"]);
    expect(stages.map(([, progress]) => progress)).toEqual([...stages.map(([, p]) => p)].sort((a, b) => a - b));
    expect(meta).toMatchObject({ name: "calculator", version: "1.0.0", uri: "file://calculator.zip", filename: "calc.zip" });
    expect(meta.plugins.map((p) => p.name)).toEqual(["Calculator"]);
    expect(Object.keys(meta.plugins[0]?.tools ?? {})).toEqual(["add", "divide"]);
    expect(meta.plugins[0]?.tools["add"]?.input_schema).toMatchObject({ type: "object", required: ["a", "b"] });

    const dir = path.join(extensions, "calculator", "1.0.0");
    const files = await readdir(dir, { recursive: true });
    expect(files).toEqual(expect.arrayContaining(["package.json", "bundle.js", "bundle.js.map", "meta.json", "assets/icon.svg"]));
    expect(JSON.parse(await readFile(path.join(dir, "meta.json"), "utf8"))).toEqual(meta);
    expect(await leftovers()).toEqual([]);

    const result = await sandbox.runTool({ tenant: "t1", pkg: "calculator", version: "1.0.0", dir, artifacts: await artifactsOf(dir), plugin: "Calculator", tool: "add", inputJson: '{"a":2,"b":3}', cfgJson: "null" });
    expect(JSON.parse(result.json)).toBe(5);
  });

  it("installs a plugin that ships WebAssembly", async () => {
    const meta = await manager.install({ uri: "file://wasm-adder.zip", filename: "w.zip" });
    const dir = path.join(extensions, "wasm-adder", "0.1.0");
    const result = await sandbox.runTool({ tenant: "t1", pkg: meta.name, version: meta.version, dir, artifacts: await artifactsOf(dir), plugin: "WasmAdder", tool: "add", inputJson: '{"a":40,"b":2}', cfgJson: "null" });
    expect(JSON.parse(result.json)).toBe(42);
  });

  it("refuses an installed version without force and replaces it with force", async () => {
    const v1 = await drop("replace-1.zip", plugin("replace-me", CALC_PLUGIN));
    const v2 = await drop("replace-2.zip", plugin("replace-me", CALC_PLUGIN.replace('"P"', '"Q"')));
    await manager.install({ uri: v1, filename: "1" });
    await expect(manager.install({ uri: v2, filename: "2" })).rejects.toMatchObject({ code: "AlreadyInstalled" });
    const replaced = await manager.install({ uri: v2, filename: "2" }, { force: true });
    expect(replaced.plugins.map((p) => p.name)).toEqual(["Q"]);
    expect((await manager.get("replace-me", "1.0.0"))?.meta.plugins.map((p) => p.name)).toEqual(["Q"]);
    expect(await leftovers()).toEqual([]);
  });

  it("ends two concurrent installs of one name@version with one winner and a clean tree", async () => {
    const a = await drop("race-a.zip", plugin("racer", CALC_PLUGIN));
    const b = await drop("race-b.zip", plugin("racer", CALC_PLUGIN.replace('"P"', '"Q"')));
    const results = await Promise.allSettled([manager.install({ uri: a, filename: "a" }), manager.install({ uri: b, filename: "b" })]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const loser = results.find((r) => r.status === "rejected");
    expect(loser?.status === "rejected" && loser.reason).toMatchObject({ code: "AlreadyInstalled" });
    expect(await readdir(path.join(extensions, "racer"))).toEqual(["1.0.0"]);
    expect(await leftovers()).toEqual([]);
  });

  it("leaves nothing behind when cancelled mid-bundle", async () => {
    const files = plugin("cancel-bundle", `${CALC_PLUGIN}\n${Array.from({ length: 300 }, (_, i) => `export * from "./m${i}.ts";`).join("\n")}`);
    for (let i = 0; i < 300; i++) files[`src/m${i}.ts`] = `export const v${i} = ${i};\n`;
    const uri = await drop("cancel-bundle.zip", files);
    const controller = new AbortController();
    const install = manager.install({ uri, filename: "c" }, {
      signal: controller.signal,
      onStage: (stage) => {
        if (stage === "bundle") setTimeout(() => controller.abort(new Error("cancelled")), 2);
      },
    });
    await expect(install).rejects.toThrow(/cancelled/);
    expect(await manager.get("cancel-bundle", "1.0.0")).toBeNull();
    expect(await readdir(extensions).catch(() => [])).not.toContain("cancel-bundle");
    expect(await leftovers()).toEqual([]);
  });

  it("leaves nothing behind when cancelled while the sandbox inspects", async () => {
    const slow = `import { definePlugin, defineTool } from "hiagent-plugin-sdk";
      const until = Date.now() + 300; while (Date.now() < until) {}
      export default definePlugin({ name: "P", tools: { t: defineTool({ run: () => 1 }) } });`;
    const uri = await drop("cancel-inspect.zip", plugin("cancel-inspect", slow));
    const controller = new AbortController();
    const install = manager.install({ uri, filename: "c" }, {
      signal: controller.signal,
      onStage: (stage) => {
        if (stage === "inspect") setTimeout(() => controller.abort(new Error("cancelled")), 20);
      },
    });
    await expect(install).rejects.toThrow(/cancelled/);
    expect(await manager.get("cancel-inspect", "1.0.0")).toBeNull();
    expect(await leftovers()).toEqual([]);
  });
});

describe("PackageManager.install: invalid packages", () => {
  const cases: [string, Record<string, string> | Buffer, RegExp][] = [
    ["a zip-slip entry", writeRawZip([{ name: "package.json", data: "{}" }, { name: "../evil.js", data: "x" }]), /climbs out/],
    ["a bad name", plugin("Bad Name", CALC_PLUGIN), /package.json name/],
    ["a bad version", plugin("ok", CALC_PLUGIN, "one"), /package.json version/],
    ["a missing entry", { "package.json": JSON.stringify({ name: "noentry", version: "1.0.0", hiagent: { entry: "src/x.ts" } }) }, /entry src\/x.ts is not in the package/],
    ["a Node built-in import", plugin("builtin", `import fs from "fs"; console.log(fs); ${CALC_PLUGIN}`), /Node built-in module "fs" cannot be imported \(imported by src\/index.ts\)/],
    ["no plugin export", plugin("noplugin", "export default 42;"), /plugin/i],
    ["a plugin without tools", plugin("notools", `import { definePlugin } from "hiagent-plugin-sdk"; export default definePlugin({ name: "P", tools: {} });`), /no tools/],
    ["an entry that throws", plugin("throws", `throw new Error("boom at load");`), /boom at load/],
    ["an icon outside the package", plugin("icon-out", CALC_PLUGIN.replace('name: "P"', 'name: "P", icon: "../../etc/passwd"')), /icon "..\/..\/etc\/passwd" is not a file inside the package/],
    ["a missing icon", plugin("icon-missing", CALC_PLUGIN.replace('name: "P"', 'name: "P", icon: "assets/none.png"')), /icon "assets\/none.png" is not in the package/],
  ];
  for (const [label, contents, message] of cases) {
    it(`rejects ${label} and leaves nothing behind`, async () => {
      const file = `invalid-${label.replace(/\W+/g, "-")}.zip`;
      await writeFile(path.join(drops, file), Buffer.isBuffer(contents) ? contents : await zipFiles(contents));
      const error = await manager.install({ uri: `file://${file}`, filename: file }).catch((err: unknown) => err);
      expect(error).toMatchObject({ code: "InvalidPackage", message: expect.stringMatching(message) });
      expect((error as Error).message).not.toContain(root);
      expect(await manager.list()).toEqual([]);
      expect(await leftovers()).toEqual([]);
    });
  }
});

describe("PackageManager: metadata, listing, deletion", () => {
  it("reads metadata without installing anything", async () => {
    const summary = await manager.readMetadata({ uri: "file://calculator.zip", filename: "calc.zip" });
    expect(summary).toEqual({ name: "calculator", version: "1.0.0", uri: "file://calculator.zip", filename: "calc.zip", plugins: ["Calculator"] });
    expect(await manager.list()).toEqual([]);
    expect(await leftovers()).toEqual([]);
  });

  it("lists installed packages by name and version, and finds one", async () => {
    await manager.install({ uri: await drop("list-b2.zip", plugin("list-b", CALC_PLUGIN, "2.0.0")), filename: "b2" });
    await manager.install({ uri: await drop("list-b10.zip", plugin("list-b", CALC_PLUGIN, "10.0.0")), filename: "b10" });
    await manager.install({ uri: await drop("list-a.zip", plugin("list-a", CALC_PLUGIN)), filename: "a" });
    expect((await manager.list()).map((m) => `${m.name}@${m.version}`)).toEqual(["list-a@1.0.0", "list-b@2.0.0", "list-b@10.0.0"]);
    const found = await manager.get("list-b", "10.0.0");
    expect(found?.meta.filename).toBe("b10");
    expect(found?.dir).toBe(path.join(extensions, "list-b", "10.0.0"));
    expect(await manager.get("list-b", "3.0.0")).toBeNull();
    expect(await manager.get("..", "..")).toBeNull();
  });

  it("sweeps old leftovers of crashed processes, keeping recent ones", async () => {
    const old = path.join(extensions, ".staging", "crashed");
    const recent = path.join(extensions, ".trash", "in-flight");
    await mkdir(path.join(old, "src"), { recursive: true });
    await mkdir(recent, { recursive: true });
    const hourAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(old, hourAgo, hourAgo);
    expect(await manager.sweepLeftovers()).toBe(1);
    expect(await leftovers()).toEqual([".trash/in-flight"]);
  });

  it("deletes a package, drops its isolates, and says PackageNotFound afterwards", async () => {
    const meta = await manager.install({ uri: "file://calculator.zip", filename: "calc.zip" });
    const dir = path.join(extensions, meta.name, meta.version);
    const artifacts = await artifactsOf(dir);
    await sandbox.runTool({ tenant: "t1", pkg: meta.name, version: meta.version, dir, artifacts, plugin: "Calculator", tool: "add", inputJson: '{"a":1,"b":1}', cfgJson: "null" });
    await manager.delete(meta.name, meta.version);
    expect(await manager.get(meta.name, meta.version)).toBeNull();
    expect(await readdir(extensions)).not.toContain("calculator");
    await expect(manager.delete(meta.name, meta.version)).rejects.toMatchObject({ code: "PackageNotFound" });
    await expect(manager.delete("../..", "1.0.0")).rejects.toMatchObject({ code: "PackageNotFound" });
    // The warm isolate is gone too: a call now has to load from the (deleted) folder.
    await expect(
      sandbox.runTool({ tenant: "t1", pkg: meta.name, version: meta.version, dir, artifacts, plugin: "Calculator", tool: "add", inputJson: '{"a":1,"b":1}', cfgJson: "null" }),
    ).rejects.toBeTruthy();
    expect(await leftovers()).toEqual([]);
  });
});

describe("PackageManager.install prepares the package", () => {
  it("so the first call of the package's first tenant skips loading the bundle", async () => {
    const lines: { fields: Record<string, unknown>; msg: string }[] = [];
    const push = (fields: object, msg?: string) => lines.push({ fields: fields as Record<string, unknown>, msg: msg ?? "" });
    const logged = createSandbox(SandboxOptionsSchema.parse({ processes: 1 }), { debug: push, info: push, warn: push, error: push });
    await logged.start();
    try {
      const own = new PackageManager({ extensionsDir: extensions, sandbox: logged, maxPackageBytes: 10 * 1024 * 1024, fileRoots: [drops], fetch: FetchOptionsSchema.parse({}), artifactKey: ARTIFACT_KEY });
      const meta = await own.install({ uri: "file://calculator.zip", filename: "calc.zip" });
      const dir = path.join(extensions, meta.name, meta.version);
      await new Promise((r) => setTimeout(r, 1000));
      const result = await logged.runTool({ tenant: "first", pkg: meta.name, version: meta.version, dir, artifacts: await artifactsOf(dir), plugin: "Calculator", tool: "add", inputJson: '{"a":2,"b":3}', cfgJson: "null" });
      expect(JSON.parse(result.json)).toBe(5);
      const coldStart = lines.find((l) => l.msg === "isolate cold start" && l.fields.tenant === "first");
      expect(coldStart?.fields).toMatchObject({ package_spare: true, load_ms: expect.any(Number) });
    } finally {
      await logged.close();
    }
  });
});
