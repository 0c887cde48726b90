// Source-mapped plugin errors: a real bundle from the package builder's bundler, run in
// the real sandbox, its `error.data.stack` mapped back to the author's files and lines.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SourceMapGenerator } from "source-map-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundlePackage } from "../../host/package/bundler.ts";
import { createSandbox, SandboxOptionsSchema, type RuntimeError } from "../../sandbox/index.ts";
import type { SandboxProcessPool } from "../../sandbox/process-pool.ts";
import { BUNDLE_WRAPPER_PREFIX, firstLocation, mapStack, StackMapper } from "../../sandbox/source-map/stack-mapper.ts";
import { hashArtifacts } from "../../host/package/artifact-record.ts";

const INDEX = `import { definePlugin, defineTool, PluginError, z } from "hiagent-plugin-sdk";
import { explode } from "./explode.ts";

export default definePlugin({
  name: "Faulty",
  tools: {
    deep: defineTool({ input: z.object({}), run: () => explode("deep") }),
    refused: defineTool({
      input: z.object({}),
      async run() {
        await Promise.resolve();
        throw new PluginError("the upstream refused the key");
      },
    }),
  },
});
`;

const EXPLODE = `// A helper module, so the frame to find is not in the entry.
export function explode(what: string): never {
  const reason = "it broke: " + what;
  throw new TypeError(reason);
}
`;

let root = "";
let sandbox: SandboxProcessPool;
let map = "";
let dir = "";
let artifacts: Record<string, string> = {};

async function failure(tool: string): Promise<RuntimeError> {
  try {
    await sandbox.runTool({ tenant: "t1", pkg: "faulty", version: "1.0.0", dir, artifacts, plugin: "Faulty", tool, inputJson: "{}", cfgJson: "null" });
  } catch (err) {
    return err as RuntimeError;
  }
  throw new Error(`${tool} did not fail`);
}

function stackOf(err: RuntimeError): string {
  const stack = (err.data as { stack?: unknown } | undefined)?.stack;
  if (typeof stack !== "string") throw new Error(`no stack in ${JSON.stringify(err.data)}`);
  return stack;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "stack-mapper-"));
  const src = path.join(root, "pkg");
  await mkdir(path.join(src, "src"), { recursive: true });
  const manifest = JSON.stringify({ name: "faulty", version: "1.0.0" });
  await writeFile(path.join(src, "package.json"), manifest);
  await writeFile(path.join(src, "src/index.ts"), INDEX);
  await writeFile(path.join(src, "src/explode.ts"), EXPLODE);
  const bundle = await bundlePackage({ packageDir: src, entry: "src/index.ts" });
  map = bundle.map;

  sandbox = createSandbox(SandboxOptionsSchema.parse({ processes: 1 }));
  await sandbox.start();
  const inspected = await sandbox.inspect({ pkg: "faulty", version: "1.0.0", code: bundle.code });
  dir = path.join(root, "extensions/faulty/1.0.0");
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "package.json"), manifest);
  await writeFile(path.join(dir, "bundle.js"), bundle.code);
  await writeFile(path.join(dir, "bundle.js.map"), bundle.map);
  await writeFile(path.join(dir, "meta.json"), JSON.stringify({ name: "faulty", version: "1.0.0", plugins: inspected.plugins }));
  artifacts = await hashArtifacts(dir);
});

afterAll(async () => {
  await sandbox?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("mapStack", () => {
  it("points a thrown error at the helper module and the entry that called it", async () => {
    const err = await failure("deep");
    expect(err.code).toBe("ToolError");
    expect(err.message).toBe("TypeError: it broke: deep");
    const raw = stackOf(err);
    const mapped = mapStack(raw, map);
    // Columns are V8's (1-based), pointing at `throw` and at the call.
    expect(mapped.split("\n")[0]).toMatch(/explode \(src\/explode\.ts:4:9\)$/);
    expect(mapped).toContain("src/index.ts:7:56");
    expect(mapped).not.toContain("bundle.js");
    expect(firstLocation(mapped)).toBe("src/explode.ts:4:9");
  });

  it("maps a PluginError thrown after an await", async () => {
    const err = await failure("refused");
    expect(err.message).toBe("the upstream refused the key");
    expect(firstLocation(mapStack(stackOf(err), map))).toBe("src/index.ts:12:15");
  });

  it("leaves lines it cannot map, and stacks already mapped, unchanged", () => {
    const stack = "at x (mybundle.js:3:4)\nat y (src/index.ts:7:1)\nat z (bundle.js:999999:1)";
    expect(mapStack(stack, map)).toBe(stack);
  });

  it("shifts columns on line 1 by the sandbox's wrapper prefix only", () => {
    const generator = new SourceMapGenerator({ file: "bundle.js" });
    generator.addMapping({ source: "src/a.ts", generated: { line: 1, column: 0 }, original: { line: 5, column: 2 } });
    generator.addMapping({ source: "src/a.ts", generated: { line: 2, column: 0 }, original: { line: 9, column: 0 } });
    const mapper = new StackMapper(generator.toString());
    expect(mapper.locate(1, BUNDLE_WRAPPER_PREFIX.length + 1)).toEqual({ source: "src/a.ts", line: 5, column: 3 });
    expect(mapper.mapStack("at bundle.js:2:1")).toBe("at src/a.ts:9:1");
  });
});
