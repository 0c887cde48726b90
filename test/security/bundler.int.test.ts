// The bundler (SPEC §2 step 5, §9.7): every byte it reads comes from the package's own
// files. A vendored module's `sourceMappingURL` comment and the `sources` of the map it
// names are the author's words, not files to read: a map listing `/dev/zero` must not
// send the bundler after an endless file, and one listing the server's config file and
// `/proc/self/environ` must not copy them into the installed `bundle.js.map`. After
// either, the server keeps installing packages, and health names the bundler's state.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zipFiles } from "../host/package/zip-fixtures.ts";
import { entrySource, manifestOf, type PluginPackageSpec } from "./hostile-packages.ts";
import { startSecurityServer, type SecurityServer } from "./security-server.ts";

const CONFIG_SECRET = "config-secret-7f3a9c";
const ENV_SECRET = "environ-secret-51be0d";

let server: SecurityServer;
let configFile = "";

beforeAll(async () => {
  // Inherited by every child process the server starts, the bundler's included.
  process.env.HIAGENT_TEST_ENV_SECRET = ENV_SECRET;
  server = await startSecurityServer();
  configFile = path.join(server.rt.dir, "config.yaml");
  await writeFile(configFile, `# ${CONFIG_SECRET}\nserver:\n  port: 0\n`);
}, 120_000);

afterAll(async () => {
  delete process.env.HIAGENT_TEST_ENV_SECRET;
  await server?.close();
});

/** A package whose entry imports a vendored module that carries a source map naming `sources`. */
function withInputMap(name: string, sources: string[], inline: boolean): Promise<Buffer> {
  const spec: PluginPackageSpec = { name, top: `import { shout } from "./vendor/lib.js";`, tools: `ok: defineTool({ run: () => shout("ok") }),` };
  const map = JSON.stringify({ version: 3, file: "lib.js", sources, names: [], mappings: "AAAA;AACA" });
  const comment = inline ? `data:application/json;base64,${Buffer.from(map).toString("base64")}` : "lib.js.map";
  return zipFiles({
    "package.json": manifestOf(spec),
    "src/index.ts": entrySource(spec),
    "src/vendor/lib.js": `export function shout(s) {\n  return s.toUpperCase();\n}\n//# sourceMappingURL=${comment}\n`,
    "src/vendor/lib.js.map": map,
  });
}

async function installedMap(name: string): Promise<string> {
  return readFile(path.join(server.rt.dir, "extensions", name, "1.0.0", "bundle.js.map"), "utf8");
}

async function stillInstalls(): Promise<void> {
  const spec: PluginPackageSpec = { name: "sec_bundler_after", tools: `ok: defineTool({ run: () => "ok" }),` };
  const res = await server.install(await zipFiles({ "package.json": manifestOf(spec), "src/index.ts": entrySource(spec) }), "after-1.0.0.zip");
  expect(res.status, JSON.stringify(res.body.error)).toBe(200);
  expect((await server.health()).components.bundler?.state).toBe("ok");
}

describe("input source maps are never followed out of the package", () => {
  it("a map listing /dev/zero: ReadPackageMetadata and the install answer quickly, and installs keep working", async () => {
    const zip = await withInputMap("sec_map_zero", ["/dev/zero", "../../../../../../../../dev/zero"], false);
    const file = path.join(server.rt.dir, "pkgs", "zero-1.0.0.zip");
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, zip);
    const read = await server.call("admin", "ReadPackageMetadata", { uri: `file://${file}`, filename: "zero-1.0.0.zip" });
    expect(read.status, JSON.stringify(read.body.error)).toBe(200);
    const installed = await server.install(zip, "zero-1.0.0.zip");
    expect(installed.status, JSON.stringify(installed.body.error)).toBe(200);
    expect(await installedMap("sec_map_zero")).not.toContain("/dev/zero");
    await stillInstalls();
  }, 30_000);

  it.each([
    ["a linked map", false],
    ["an inline map", true],
  ])("%s listing the config file and /proc/self/environ copies neither into bundle.js.map", async (_label, inline) => {
    const name = inline ? "sec_map_inline" : "sec_map_linked";
    const res = await server.install(await withInputMap(name, [configFile, "/proc/self/environ", `file://${configFile}`], inline), `${name}-1.0.0.zip`);
    expect(res.status, JSON.stringify(res.body.error)).toBe(200);
    const map = await installedMap(name);
    expect(map).not.toContain(CONFIG_SECRET);
    expect(map).not.toContain(ENV_SECRET);
    expect(map).not.toContain("environ");
    // The vendored module's own text is mapped, as the package ships it.
    expect(map).toContain("toUpperCase");
    await stillInstalls();
  }, 30_000);
});
