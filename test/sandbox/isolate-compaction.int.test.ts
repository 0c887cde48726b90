// Compaction of isolates: a memory-reducing GC that gives an isolate's garbage back to
// the OS without touching what the plugin keeps, done on spares and on isolates that
// have gone idle, never on one in use. Real isolates with the real prelude.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundlePackage } from "../../host/package/bundler.ts";
import { IsolateCache } from "../../sandbox/child/isolate-cache.ts";
import { PluginIsolate, PreludeSource } from "../../sandbox/child/plugin-isolate.ts";
import { buildPrelude } from "../../sandbox/sandbox-build.ts";
import { hashArtifacts } from "../../host/package/artifact-record.ts";

// Each call leaves ~2 MB of garbage behind and adds one entry to state the plugin keeps.
const GARBAGE_PLUGIN = `import { definePlugin, defineTool, z } from "hiagent-plugin-sdk";
const kept: number[] = [];
export default definePlugin({ name: "G", tools: {
  churn: defineTool({ input: z.object({}), run: () => {
    let junk: unknown[] = [];
    for (let i = 0; i < 20000; i++) junk.push({ i, s: "x".repeat(40) + i });
    junk = [];
    kept.push(kept.length);
    return { kept: kept.length };
  } }),
} });`;

const hooks = { op: () => "", log: () => undefined, emit: () => "", random: () => "" };
let root: string;
let prelude: PreludeSource;
let code: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "hiagent-compaction-"));
  await mkdir(join(root, "src"), { recursive: true });
  await writeFile(join(root, "package.json"), JSON.stringify({ name: "garbage", version: "1.0.0" }));
  await writeFile(join(root, "src", "index.ts"), GARBAGE_PLUGIN);
  code = (await bundlePackage({ packageDir: root, entry: "src/index.ts" })).code;
  prelude = new PreludeSource(await buildPrelude());
}, 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

async function loaded(): Promise<PluginIsolate> {
  const isolate = await PluginIsolate.create(prelude, 64, hooks);
  await isolate.load(code, { maxBytes: 1 << 20, timeoutMs: 10_000 });
  return isolate;
}

async function churn(isolate: PluginIsolate): Promise<number> {
  const text = await isolate.dispatch({ kind: "tool", callId: "c", plugin: "G", tool: "churn", inputJson: "{}", cfgJson: "null", tenant: "t" }, 10_000);
  expect(text.charAt(0)).toBe("R");
  return (JSON.parse(text.slice(1)) as { kept: number }).kept;
}

describe("PluginIsolate.compact", () => {
  it("gives the heap's garbage back and keeps the plugin's state", async () => {
    const isolate = await loaded();
    try {
      for (let i = 1; i <= 3; i++) expect(await churn(isolate)).toBe(i);
      const before = await isolate.isolate.getHeapStatistics();
      await isolate.compact(5_000);
      const after = await isolate.isolate.getHeapStatistics();
      expect(after.total_heap_size).toBeLessThan(before.total_heap_size);
      expect(after.used_heap_size).toBeLessThanOrEqual(before.used_heap_size);
      // The isolate is as it was: state kept, calls still run.
      expect(await churn(isolate)).toBe(4);
    } finally {
      isolate.dispose("closed");
    }
  });

  it("works whatever the isolate's memory limit", async () => {
    const isolate = await PluginIsolate.create(prelude, 4096, hooks);
    try {
      const before = await isolate.isolate.getHeapStatistics();
      await isolate.compact(5_000);
      expect((await isolate.isolate.getHeapStatistics()).total_heap_size).toBeLessThan(before.total_heap_size);
      expect(isolate.disposed).toBe(false);
    } finally {
      isolate.dispose("closed");
    }
  });

  it("is not reachable from plugin code", async () => {
    const isolate = await loaded();
    try {
      const context = (isolate as unknown as { context: { eval(code: string): Promise<unknown> } }).context;
      const names = await context.eval("JSON.stringify(Object.getOwnPropertyNames(globalThis).filter((n) => /compact|__hb|gc$/i.test(n)))");
      expect(JSON.parse(names as string)).toEqual([]);
    } finally {
      isolate.dispose("closed");
    }
  });
});

describe("IsolateCache.compactIdle", () => {
  it("compacts an isolate once it has been idle a second after use, and not again until it is used and a minute has passed", async () => {
    const compactions: PluginIsolate[] = [];
    const cache = new IsolateCache(
      4,
      () => PluginIsolate.create(prelude, 64, hooks),
      (isolate, bundle) => isolate.load(bundle, { maxBytes: 1 << 20, timeoutMs: 10_000 }),
      () => {},
      Number.POSITIVE_INFINITY,
      0,
      async (isolate) => {
        compactions.push(isolate);
        await isolate.compact(5_000);
      },
    );
    const dir = join(root, "installed");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "bundle.js"), code);
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "garbage", version: "1.0.0" }));
    try {
      const entry = await cache.acquire({ tenant: "t", pkg: "garbage", version: "1.0.0", dir, artifacts: await hashArtifacts(dir) });
      // The cache also compacts the spare it makes after a cold start: only this isolate counts.
      const compacted = () => compactions.filter((i) => i === entry.isolate);
      const settle = () => new Promise((r) => setTimeout(r, 200));
      cache.compactIdle(entry.lastUsed + 5_000);
      await settle();
      expect(compacted()).toEqual([]); // in use
      await churn(entry.isolate);
      cache.release(entry);
      const used = entry.lastUsed;
      cache.compactIdle(used + 500);
      await settle();
      expect(compacted()).toEqual([]); // not idle long enough
      cache.compactIdle(used + 1_000);
      await settle();
      expect(compacted()).toEqual([entry.isolate]);
      cache.compactIdle(used + 2_000);
      await settle();
      expect(compacted()).toHaveLength(1); // not used since
      cache.release(await cache.acquire(entry.target));
      cache.compactIdle(entry.lastUsed + 1_500);
      await settle();
      expect(compacted()).toHaveLength(1); // used, but compacted less than a minute ago
      cache.compactIdle(used + 61_000);
      await settle();
      expect(compacted()).toHaveLength(2);
      expect(await churn(entry.isolate)).toBe(2);
    } finally {
      await cache.close();
    }
  });
});
