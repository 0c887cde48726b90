// Bundling: the output the sandbox expects, and every way resolution could leave the package.
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bundlePackage } from "../../../host/package/bundler.ts";
import { RuntimeError } from "../../../sandbox/errors.ts";
import { FIXTURES_DIR } from "./zip-fixtures.ts";

let root: string;
let pkg: string;

beforeEach(async () => {
  root = await realpath(await mkdtemp(path.join(tmpdir(), "bundler-")));
  pkg = path.join(root, "pkg");
  await mkdir(pkg);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function write(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
}

/** Bundles `pkg` and returns the InvalidPackage error; fails the test if it bundles. */
async function failure(entry = "src/index.ts"): Promise<RuntimeError> {
  try {
    await bundlePackage({ packageDir: pkg, entry });
  } catch (err) {
    expect(err).toBeInstanceOf(RuntimeError);
    const error = err as RuntimeError;
    expect(error.code).toBe("InvalidPackage");
    expect(error.message).not.toContain(root);
    return error;
  }
  throw new Error("expected bundling to fail");
}

describe("bundlePackage: output", () => {
  it("bundles the calculator fixture into one CommonJS script with the SDK external", async () => {
    const out = await bundlePackage({ packageDir: path.join(FIXTURES_DIR, "calculator"), entry: "src/index.ts" });
    expect(out.code).toContain('require("hiagent-plugin-sdk")');
    expect(out.code).toContain("module.exports");
    expect(out.code).toContain("function divide(a, b)");
    expect(out.code).not.toContain(FIXTURES_DIR);
    const map = JSON.parse(out.map) as { sources: string[]; sourcesContent: string[] };
    expect(map.sources).toEqual(["src/index.ts", "src/math.ts"]);
    expect(map.sourcesContent[1]).toContain("export function divide");
    expect(out.map).not.toContain(FIXTURES_DIR);
  });

  it("keeps zod and its subpaths external, and defines NODE_ENV", async () => {
    await write(pkg, {
      "src/index.ts": 'import { z } from "zod"; import * as v4 from "zod/v4"; export default [z, v4, process.env.NODE_ENV];',
    });
    const { code } = await bundlePackage({ packageDir: pkg, entry: "src/index.ts" });
    expect(code).toContain('require("zod")');
    expect(code).toContain('require("zod/v4")');
    expect(code).toContain('"production"');
  });

  it("bundles zod from the package when it is vendored under node_modules", async () => {
    await write(pkg, {
      "src/index.ts": 'import { z } from "zod"; export default z;',
      "node_modules/zod/package.json": JSON.stringify({ name: "zod", version: "4.0.0", main: "index.js" }),
      "node_modules/zod/index.js": "exports.z = { vendored: true };",
    });
    const { code } = await bundlePackage({ packageDir: pkg, entry: "src/index.ts" });
    expect(code).not.toContain('require("zod")');
    expect(code).toContain("vendored: true");
  });

  it("bundles vendored dependencies, JSON and WebAssembly", async () => {
    await write(pkg, {
      "src/index.ts": 'import left from "left-pad"; import data from "./data.json"; import wasm from "./add.wasm"; export default [left, data, wasm];',
      "src/data.json": '{"answer": 42}',
      "src/add.wasm": new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]),
      "node_modules/left-pad/package.json": JSON.stringify({ name: "left-pad", version: "1.3.0", module: "esm.js", main: "cjs.js" }),
      "node_modules/left-pad/esm.js": "export default function leftPad() { return 'esm'; }",
      "node_modules/left-pad/cjs.js": "module.exports = function leftPad() { return 'cjs'; };",
    });
    const { code } = await bundlePackage({ packageDir: pkg, entry: "src/index.ts" });
    expect(code).toContain("return \"esm\"");
    expect(code).toContain("answer: 42");
    expect(code).toMatch(/AGFzbQEAAAA|__toBinary/);
  });

  it("reads safe compiler options from the package's tsconfig but never its paths", async () => {
    await write(root, { "outside/secret.ts": "export const secret = 'host';" });
    await write(pkg, {
      "tsconfig.json": '{\n  // comments are fine\n  "compilerOptions": { "baseUrl": ".", "paths": { "evil": ["../outside/secret.ts"] }, },\n}',
      "src/index.ts": 'import { secret } from "evil"; export default secret;',
    });
    expect((await failure()).message).toMatch(/dependency "evil" is not vendored/);
  });
});

describe("bundlePackage: refused imports", () => {
  it("refuses a Node built-in, naming the import and the importing file", async () => {
    await write(pkg, { "src/index.ts": 'import fs from "fs"; export default fs;' });
    const error = await failure();
    expect(error.message).toMatch(/Node built-in module "fs" cannot be imported \(imported by src\/index.ts\)/);
    expect(error.message).toMatch(/src\/index.ts:1:\d+/);
  });

  it("refuses node: imports and require() of built-ins in nested files", async () => {
    await write(pkg, {
      "src/index.ts": 'import { run } from "./lib/exec.ts"; export default run;',
      "src/lib/exec.ts": 'import cp from "node:child_process"; export const run = cp; export const p = require("path");',
    });
    const error = await failure();
    expect(error.message).toContain('Node built-in module "node:child_process" cannot be imported (imported by src/lib/exec.ts)');
    expect(error.message).toContain('Node built-in module "path" cannot be imported (imported by src/lib/exec.ts)');
  });

  it("refuses built-in subpaths such as fs/promises", async () => {
    await write(pkg, { "src/index.ts": 'import { readFile } from "fs/promises"; export default readFile;' });
    expect((await failure()).message).toContain('"fs/promises"');
  });

  it("refuses a relative import that climbs out of the package (../../host)", async () => {
    await write(root, { "host/config.ts": "export const token = 'secret';" });
    await write(pkg, { "src/index.ts": 'import { token } from "../../host/config.ts"; export default token;' });
    expect((await failure()).message).toContain('import "../../host/config.ts" (imported by src/index.ts) resolves outside the package');
  });

  it("refuses an absolute import path", async () => {
    await write(root, { "abs/x.ts": "export default 1;" });
    await write(pkg, { "src/index.ts": `import x from ${JSON.stringify(path.join(root, "abs/x.ts"))}; export default x;` });
    expect((await failure()).message).toMatch(/absolute import paths are not allowed \(imported by src\/index.ts\)/);
  });

  it("refuses a symlink inside the tree that points out", async () => {
    await write(root, { "outside/secret.ts": "export const secret = 'host';" });
    await write(pkg, { "src/index.ts": 'import { secret } from "./linked.ts"; export default secret;' });
    await symlink(path.join(root, "outside/secret.ts"), path.join(pkg, "src/linked.ts"));
    expect((await failure()).message).toContain('import "./linked.ts" (imported by src/index.ts) resolves outside the package');
  });

  it("refuses a node_modules entry that points out of the package", async () => {
    await write(root, {
      "outside/evil/package.json": JSON.stringify({ name: "evil", main: "index.js" }),
      "outside/evil/index.js": "module.exports = 'host';",
    });
    await write(pkg, { "src/index.ts": 'import evil from "evil"; export default evil;' });
    await mkdir(path.join(pkg, "node_modules"));
    await symlink(path.join(root, "outside/evil"), path.join(pkg, "node_modules/evil"));
    expect((await failure()).message).toContain('import "evil" (imported by src/index.ts) resolves outside the package');
  });

  it("refuses a symlinked entry", async () => {
    await write(root, { "outside/entry.ts": "export default 1;" });
    await mkdir(path.join(pkg, "src"));
    await symlink(path.join(root, "outside/entry.ts"), path.join(pkg, "src/index.ts"));
    expect((await failure()).message).toMatch(/resolves outside the package/);
  });

  it("says a dependency is not vendored, even when the host has it", async () => {
    // semver is installed in the host's node_modules, which esbuild would find walking up.
    await write(pkg, { "src/index.ts": 'import semver from "semver"; import x from "left-pad/lib"; export default [semver, x];' });
    const error = await failure();
    expect(error.message).toContain('dependency "semver" is not vendored (imported by src/index.ts)');
    expect(error.message).toContain('dependency "left-pad" is not vendored');
    expect(error.message).toContain("package.index_url is not supported yet");
  });

  it("refuses SDK subpaths, which the sandbox does not provide", async () => {
    await write(pkg, { "src/index.ts": 'import * as t from "hiagent-plugin-sdk/testing"; export default t;' });
    expect((await failure()).message).toContain('"hiagent-plugin-sdk/testing" is not available in the sandbox');
  });

  it("reports syntax errors at package-relative locations", async () => {
    await write(pkg, { "src/index.ts": "export default 1;", "src/broken.ts": "export const x = ;" });
    await write(pkg, { "src/index.ts": 'export * from "./broken.ts";' });
    const error = await failure();
    expect(error.message).toMatch(/src\/broken.ts:1:\d+: /);
  });
});

describe("bundlePackage: cancellation", () => {
  it("stops a bundle in progress when the signal aborts", async () => {
    const files: Record<string, string> = {};
    const imports: string[] = [];
    for (let i = 0; i < 400; i++) {
      files[`src/m${i}.ts`] = `export const v${i}: number = ${i};\n`.repeat(20).replace(/v(\d+)/g, (_m, n) => `v${n}_${Math.random().toString(36).slice(2)}`);
      imports.push(`export * from "./m${i}.ts";`);
    }
    files["src/index.ts"] = imports.join("\n");
    await write(pkg, files);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("cancelled by test")), 5);
    await expect(bundlePackage({ packageDir: pkg, entry: "src/index.ts", signal: controller.signal })).rejects.toThrow(/cancelled by test/);
  });
});
