// Packages (SPEC §2, §9.7): hostile zips and manifests, resolution escapes and Node
// built-ins, each sent through InstallPackage on a running server. Each must be
// `InvalidPackage` (422) with the reason named, and leave `extensions/` exactly as it
// was, dot-folders (staging, locks, trash) included.
import path from "node:path";
import { fileURLToPath } from "node:url";
import JSZip from "jszip";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRawZip, zipFiles } from "../host/package/zip-fixtures.ts";
import { entrySource, manifestOf, type PluginPackageSpec } from "./hostile-packages.ts";
import { RSS_HEADROOM_BYTES, startSecurityServer, type SecurityServer } from "./security-server.ts";

const MAX_PACKAGE_BYTES = 10 * 1024 * 1024;
/** A real host file, so an import that reaches it really resolves outside the package. */
const HOST_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../host/app.ts");
const CLIMB = "../".repeat(40);

let server: SecurityServer;
let rssBefore = 0;
let serial = 0;

const GOOD: PluginPackageSpec = { name: "sec_pkg", tools: `ok: defineTool({ run: () => "ok" }),` };
const goodFiles = (): Record<string, string> => ({ "package.json": manifestOf(GOOD), "src/index.ts": entrySource(GOOD) });

/** Installs `zip` and expects InvalidPackage, a message matching `reason`, and no trace in extensions/. */
async function refused(zip: Buffer, reason: RegExp): Promise<string> {
  const before = await server.extensionsTree();
  const res = await server.install(zip, `hostile-${++serial}.zip`);
  expect(res.status, JSON.stringify(res.body)).toBe(422);
  expect(res.body.error?.code).toBe("InvalidPackage");
  expect(res.body.error?.message).toMatch(reason);
  expect(res.body.error?.message).not.toContain(server.rt.dir);
  expect(await server.extensionsTree()).toEqual(before);
  return res.body.error?.message ?? "";
}

const raw = (extra: { name: string; data?: string; unixMode?: number }[]) =>
  writeRawZip([{ name: "package.json", data: manifestOf(GOOD) }, { name: "src/index.ts", data: entrySource(GOOD) }, ...extra]);

beforeAll(async () => {
  server = await startSecurityServer({ HIAGENT_PACKAGE__MAX_PACKAGE_BYTES: String(MAX_PACKAGE_BYTES) });
  await server.calculatorWorks();
  rssBefore = server.rss();
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe("zip hazards", () => {
  it.each([
    ["zip-slip", "../evil.js", /climbs out/],
    ["nested zip-slip", "src/../../evil.js", /climbs out/],
    ["absolute path", "/tmp/evil.js", /absolute path/],
    ["backslashes", "..\\..\\evil.js", /backslash/],
    ["drive letter", "C:/evil.js", /drive letter/],
    ["NUL in a name", "src/a\u0000.ts", /NUL/],
  ])("%s (%j)", async (_label, name, reason) => {
    await refused(raw([{ name, data: "export const pwned = 1;" }]), reason);
  });

  it("a symbolic link entry", async () => {
    await refused(raw([{ name: "src/link.ts", data: "/etc/passwd", unixMode: 0o120777 }]), /symbolic link/);
  });

  it("a repeated name (jszip would keep only the last)", async () => {
    await refused(raw([{ name: "src/index.ts", data: "export default 1;" }]), /repeated names/);
  });

  it("names that differ only in case", async () => {
    await refused(raw([{ name: "src/INDEX.ts", data: "export default 1;" }]), /differ only in case/);
  });

  it("a zip bomb by ratio (50 MB of zeros in a few KB)", async () => {
    const zip = new JSZip();
    for (const [name, text] of Object.entries(goodFiles())) zip.file(name, text);
    zip.file("zeros.bin", new Uint8Array(50 * 1024 * 1024));
    const bytes = await zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" });
    expect(bytes.length).toBeLessThan(200 * 1024);
    await refused(bytes, /inflates more than 200:1/);
  });

  it("a zip bomb by total: many entries each under the ratio check, together past the inflate cap", async () => {
    const files: Record<string, string | Uint8Array> = goodFiles();
    for (let i = 0; i < 50; i++) files[`assets/blob-${i}.bin`] = new Uint8Array(900 * 1024);
    await refused(await zipFiles(files), new RegExp(`inflates to more than ${MAX_PACKAGE_BYTES * 4} bytes`));
  });

  it("100k entries", async () => {
    const entries = Array.from({ length: 100_000 }, (_, i) => ({ name: `f/${i}` }));
    await refused(writeRawZip([{ name: "package.json", data: manifestOf(GOOD) }, ...entries]), /at most 10000/);
  });

  it("not a zip at all", async () => {
    await refused(Buffer.from("PK\u0003\u0004 but nothing after the magic"), /zip/);
  });
});

describe("manifests", () => {
  const withManifest = (manifest: Record<string, unknown>) =>
    zipFiles({ "package.json": JSON.stringify({ version: "1.0.0", hiagent: { entry: "src/index.ts" }, ...manifest }), "src/index.ts": entrySource(GOOD) });

  it.each([
    ["a name with a slash", { name: "../evil" }],
    ["a scoped name", { name: "@evil/pkg" }],
    ["an upper-case name with a space", { name: "Evil Name" }],
    ["a version that climbs", { name: "sec_pkg", version: "../../1.0.0" }],
    ["a version that is not semver", { name: "sec_pkg", version: "1.0" }],
  ])("%s", async (_label, manifest) => {
    await refused(await withManifest(manifest), /package\.json|name|version/);
  });

  it.each([
    ["hiagent.entry outside the package", { hiagent: { entry: `${CLIMB}${HOST_FILE.slice(1)}` } }],
    ["an absolute hiagent.entry", { hiagent: { entry: HOST_FILE } }],
    ["main outside the package", { hiagent: undefined, main: "../../host/app.ts" }],
  ])("%s", async (_label, manifest) => {
    await refused(await withManifest({ name: "sec_pkg", ...manifest }), /entry|main/);
  });

  it("no package.json", async () => {
    await refused(await zipFiles({ "src/index.ts": entrySource(GOOD) }), /package\.json/);
  });

  it("a package without tools", async () => {
    const src = `import { definePlugin } from "hiagent-plugin-sdk";\nexport default definePlugin({ name: "Empty", tools: {} });\n`;
    await refused(await zipFiles({ "package.json": manifestOf(GOOD), "src/index.ts": src }), /tool/);
  });
});

describe("resolution escapes and Node built-ins", () => {
  const withImport = (importLine: string, files: Record<string, string> = {}) =>
    zipFiles({ "package.json": manifestOf(GOOD), "src/index.ts": `${importLine}\n${entrySource(GOOD)}`, ...files });

  it("../ out of the package to a real host file", async () => {
    await refused(await withImport(`import "${CLIMB}${HOST_FILE.slice(1)}";`), /outside the package/);
  });

  it("an absolute import of a host file", async () => {
    await refused(await withImport(`import "${HOST_FILE}";`), /absolute import/);
  });

  it("a vendored node_modules package whose main points out of the package", async () => {
    const zip = await withImport(`import "evil";`, {
      "node_modules/evil/package.json": JSON.stringify({ name: "evil", version: "1.0.0", main: `${CLIMB}${HOST_FILE.slice(1)}` }),
    });
    await refused(zip, /evil/);
  });

  it("a stylesheet import is InvalidPackage naming the file, not a server error", async () => {
    const message = await refused(await withImport(`import "./style.css";`, { "src/style.css": "body { color: red }" }), /src\/style\.css/);
    expect(message).toMatch(/cannot be bundled/);
  });

  it("tsconfig paths and baseUrl pointing out of the package are not followed", async () => {
    const zip = await withImport(`import "hostapp";`, {
      "tsconfig.json": JSON.stringify({ compilerOptions: { baseUrl: "/", paths: { hostapp: [HOST_FILE] } } }),
    });
    await refused(zip, /hostapp/);
  });

  it.each([
    // Used, so TypeScript's elision of unused imports cannot hide them from the bundler.
    [`import { readFileSync } from "fs"; (globalThis as any).keep = readFileSync;`, /Node built-in module "fs"/],
    [`import cp from "node:child_process"; (globalThis as any).keep = cp;`, /Node built-in module "node:child_process"/],
    [`const net = require("net");`, /Node built-in module "net"/],
    [`export const load = () => import("worker_threads");`, /Node built-in module "worker_threads"/],
  ])("a Node built-in import: %s", async (line, reason) => {
    await refused(await withImport(line), reason);
  });
});

describe("aftermath", () => {
  it("nothing of any refused package is installed, the sandbox is up and the server's memory came back", async () => {
    const listed = await server.call<{ name: string }[]>("admin", "ListPackages", {});
    expect(listed.body.data.map((p) => p.name)).toEqual(["calculator"]);
    const tree = await server.extensionsTree();
    expect(tree.filter((p) => !p.startsWith("calculator"))).toEqual(tree.filter((p) => p.startsWith(".") && !p.includes(path.sep)));
    await server.sandboxUp();
    await server.calculatorWorks();
    expect(server.rss() - rssBefore).toBeLessThan(RSS_HEADROOM_BYTES);
  });
});
