// The `hiagent-plugin` CLI, run in-process on a freshly scaffolded plugin: init, build,
// run (result, stream, failure), pack (what goes in the zip, and that the zip installs),
// serve (reinstall on change); and the bin shim, spawned as an author would run it.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import JSZip from "jszip";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../sdk/cli/main.ts";
import { loadPlugin, sendJson, startFakeUpstream, type FakeUpstream } from "../../sdk/src/testing.ts";

const REPO = path.resolve(import.meta.dirname, "../..");
const OPENAI_EXAMPLE = path.join(REPO, "examples/hiagent_plugin_openai");

let root = "";
let pluginDir = "";
let upstream: FakeUpstream;

interface Outcome {
  code: number;
  out: string;
  err: string;
}

function sink(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stream.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string };
  stream.text = "";
  return stream;
}

async function cli(argv: string[], cwd = pluginDir, signal = new AbortController().signal): Promise<Outcome> {
  const out = sink();
  const err = sink();
  const code = await main(argv, { out, err, cwd, signal });
  return { code, out: out.text, err: err.text };
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "cli-test-"));
  pluginDir = path.join(root, "my-plugin");
  upstream = await startFakeUpstream((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(["Hi", " there"].map((t) => `data: {"choices":[{"delta":{"content":"${t}"}}]}\n\n`).join("") + "data: [DONE]\n\n");
  });
});

afterAll(async () => {
  await upstream?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("hiagent-plugin", () => {
  it("scaffolds a plugin and refuses to overwrite one", async () => {
    const made = await cli(["init", "my-plugin"], root);
    expect(made).toMatchObject({ code: 0, err: "" });
    expect(made.out).toContain("package my-plugin, plugin MyPlugin, tool greet");
    const manifest = JSON.parse(await readFile(path.join(pluginDir, "package.json"), "utf8")) as { name: string; hiagent: unknown };
    expect(manifest).toMatchObject({ name: "my-plugin", hiagent: { entry: "src/index.ts" } });
    expect(await cli(["init", "my-plugin"], root)).toEqual({ code: 2, out: "", err: "error: my-plugin exists and is not empty\n" });
  });

  it("builds and prints plugins, tools and input schemas", async () => {
    const built = await cli(["build"]);
    expect(built.code).toBe(0);
    expect(built.out).toMatch(/^my-plugin@0\.1\.0: ok, 1 plugin\(s\), 1 tool\(s\)/);
    expect(built.out).toContain("plugin MyPlugin: Greets people");
    expect(built.out).toContain('input: {"type":"object","properties":{"name":{"type":"string","minLength":1');
  });

  it("runs a tool, and reports a failure as one line with the source location", async () => {
    const ok = await cli(["run", "--tool", "greet", "--input", '{"name":"Ada"}']);
    expect(ok).toEqual({ code: 0, out: "Hello, Ada.\n", err: "[info] greeting Ada\n" });
    const failed = await cli(["run", "--tool", "greet", "--input", '{"name":"nobody"}']);
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(/^error: ToolError: there is nobody to greet\n {4}at src\/index\.ts:\d+:\d+\n$/);
  });

  it("rejects bad arguments with one clear line", async () => {
    expect(await cli(["run", "--tool", "greet", "--input", "{nope"])).toMatchObject({ code: 2, err: expect.stringMatching(/^error: --input is not valid JSON: .*\n$/) });
    expect(await cli(["build", "--bogus"])).toMatchObject({ code: 2, err: expect.stringMatching(/^error: Unknown option '--bogus'.*\(see hiagent-plugin build --help\)\n$/) });
    expect(await cli(["run", "--allow-origin", "https://example.com"])).toMatchObject({ code: 2, err: expect.stringContaining("is not a loopback origin") });
    expect((await cli(["serve", "--help"])).out).toContain("Usage: hiagent-plugin serve");
  });

  it("streams chunks as they come", async () => {
    const cfg = JSON.stringify({ api_key: "k", base_url: `${upstream.origin}/v1` });
    const input = JSON.stringify({ messages: [{ role: "user", content: "hi" }] });
    const streamed = await cli(["run", OPENAI_EXAMPLE, "--tool", "chat_stream", "--stream", "--input", input, "--cfg", cfg, "--allow-origin", upstream.origin]);
    expect(streamed).toEqual({ code: 0, out: "Hi there\n", err: "" });
  });

  it("prints a streaming tool's chunks as they come, without --stream", async () => {
    // The upstream holds its second chunk back until the first is on the CLI's stdout:
    // a CLI that waited for the end of the stream would never see it.
    let firstPrinted: () => void = () => {};
    const printed = new Promise<void>((resolve) => (firstPrinted = resolve));
    const gated = await startFakeUpstream((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n`);
      void printed.then(() => res.end(`data: {"choices":[{"delta":{"content":" there"}}]}\n\ndata: [DONE]\n\n`));
    });
    try {
      const out = sink();
      const writes: string[] = [];
      const write = out.write.bind(out);
      out.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
        writes.push(chunk.toString());
        if (out.text.length === 0 && chunk.toString() === "Hi") firstPrinted();
        return write(chunk, ...rest);
      }) as typeof out.write;
      const err = sink();
      const cfg = JSON.stringify({ api_key: "k", base_url: `${gated.origin}/v1` });
      const input = JSON.stringify({ messages: [{ role: "user", content: "hi" }] });
      const code = await main(["run", OPENAI_EXAMPLE, "--tool", "chat_stream", "--input", input, "--cfg", cfg, "--allow-origin", gated.origin], { out, err, cwd: pluginDir, signal: new AbortController().signal });
      expect({ code, out: out.text, err: err.text }).toEqual({ code: 0, out: "Hi there\n", err: "" });
      expect(writes).toEqual(["Hi", " there", "\n"]);
    } finally {
      await gated.close();
    }
  });

  it("packs only what belongs in the package, vendored dependencies included", async () => {
    await mkdir(path.join(pluginDir, "node_modules/shout"), { recursive: true });
    await writeFile(path.join(pluginDir, "node_modules/shout/package.json"), JSON.stringify({ name: "shout", version: "1.0.0", main: "index.js" }));
    await writeFile(path.join(pluginDir, "node_modules/shout/index.js"), "exports.shout = (s) => s.toUpperCase();\n");
    await mkdir(path.join(pluginDir, "node_modules/not-a-dependency"), { recursive: true });
    await writeFile(path.join(pluginDir, "node_modules/not-a-dependency/index.js"), "");
    await writeFile(path.join(pluginDir, ".env"), "SECRET=1\n");
    await mkdir(path.join(pluginDir, "dist"), { recursive: true });
    await writeFile(path.join(pluginDir, "dist/old.zip"), "old");
    const manifestFile = path.join(pluginDir, "package.json");
    const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as Record<string, unknown>;
    await writeFile(manifestFile, JSON.stringify({ ...manifest, dependencies: { shout: "1.0.0" } }, null, 2));
    const source = path.join(pluginDir, "src/index.ts");
    const code = await readFile(source, "utf8");
    await writeFile(source, code.replace('import { definePlugin', 'import { shout } from "shout";\nimport { definePlugin').replace(/return (`Hello[^\n]*`);/, "return shout($1);"));

    const packed = await cli(["pack"]);
    expect(packed).toMatchObject({ code: 0, err: "" });
    expect(packed.out).toContain(`wrote ${path.join("dist", "my-plugin-0.1.0.zip")}`);
    const zipFile = path.join(pluginDir, "dist/my-plugin-0.1.0.zip");
    const zip = await JSZip.loadAsync(await readFile(zipFile));
    expect(Object.keys(zip.files).sort()).toEqual([
      "README.md",
      "node_modules/shout/index.js",
      "node_modules/shout/package.json",
      "package.json",
      "src/index.ts",
      "test/plugin.test.ts",
      "tsconfig.json",
      "vitest.config.ts",
    ]);

    // The zip is what InstallPackage takes: install it and call the vendored code.
    const plugin = await loadPlugin(zipFile);
    try {
      expect(await plugin.call("MyPlugin", "greet", { name: "Ada" })).toBe("HELLO, ADA.");
    } finally {
      await plugin.close();
    }
  });

  it("serves the plugin and reinstalls it when a file changes", async () => {
    const controller = new AbortController();
    const out = sink();
    const err = sink();
    const serving = main(["serve", "--port", "0"], { out, err, cwd: pluginDir, signal: controller.signal });
    try {
      await expect.poll(() => out.text, { timeout: 20_000 }).toMatch(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
      const url = /serving on (\S+)/.exec(out.text)?.[1];
      const greet = async () => {
        const response = await fetch(`${url}/v1/RunPluginTool`, {
          method: "POST",
          body: JSON.stringify({ pkg: "my-plugin", version: "0.1.0", plugin: "MyPlugin", tool: "greet", input: { name: "Ada" } }),
        });
        return ((await response.json()) as { data: unknown }).data;
      };
      expect(await greet()).toBe("HELLO, ADA.");
      const source = path.join(pluginDir, "src/index.ts");
      await writeFile(source, (await readFile(source, "utf8")).replace("return shout(`Hello", "return shout(`Welcome"));
      await expect.poll(() => out.text.match(/installed my-plugin@0\.1\.0/g)?.length ?? 0, { timeout: 20_000 }).toBe(2);
      expect(await greet()).toBe("WELCOME, ADA.");
    } finally {
      controller.abort();
      expect(await serving).toBe(0);
    }
    expect(out.text).not.toContain("build failed");
  });

  it("runs as the hiagent-plugin executable", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(REPO, "sdk/bin/hiagent-plugin.mjs"), "--help"], { cwd: OPENAI_EXAMPLE });
    expect(stdout).toContain("Usage: hiagent-plugin <command> [options]");
    for (const command of ["init", "build", "run", "pack", "serve"]) expect(stdout).toContain(`  ${command} `);
  });
});
