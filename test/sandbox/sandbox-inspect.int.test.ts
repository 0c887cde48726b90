// Reading a bundle's metadata in the sandbox (install step 6) and the warm-isolate LRU.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginSource, SandboxHarness } from "./plugin-fixture.ts";

const h = new SandboxHarness({ processes: 1, max_isolates: 2, timeout_ms: 1500 });
beforeAll(() => h.start(), 60_000);
afterAll(() => h.stop());

describe("inspect", () => {
  it("returns plugins, tools and JSON Schemas from the zod schemas, with secret fields flagged", async () => {
    const files = {
      "index.ts": `import { definePlugin, defineTool, secret, z } from "hiagent-plugin-sdk";
export default [definePlugin({
  name: "Bing", description: "Web search", category: "search", labels: { name_zh_hans: "必应" },
  config: z.object({ api_key: secret(z.string()), region: z.string().default("us") }),
  tools: {
    search_results: defineTool({ description: "Structured results",
      input: z.object({ query: z.string(), num_results: z.number().int().min(1).max(50).default(5) }),
      output: z.array(z.object({ title: z.string(), link: z.string() })),
      run: () => [] }),
    chat: defineTool({ stream: true, async *run() { yield "x"; } }),
  },
}), definePlugin({ name: "Other", tools: { t: defineTool({ run: () => 1 }) } })];`,
    };
    const t = await h.install("meta", files);
    const meta = (await import("node:fs/promises")).readFile(`${t.dir}/meta.json`, "utf8");
    const { plugins } = JSON.parse(await meta) as { plugins: Record<string, any>[] };
    expect(plugins.map((p) => p.name)).toEqual(["Bing", "Other"]);
    const bing = plugins[0]!;
    expect(bing).toMatchObject({ description: "Web search", category: "search", labels: { name_zh_hans: "必应" }, config_required: true });
    expect(bing.config_schema.properties.api_key).toMatchObject({ type: "string", "x-hiagent-secret": true });
    expect(bing.config_schema.properties.region).toMatchObject({ type: "string", default: "us" });
    expect(bing.tools.search_results).toMatchObject({ name: "search_results", stream: false, input_schema: { type: "object", required: ["query"] } });
    expect(bing.tools.search_results.input_schema.properties.num_results).toMatchObject({ type: "integer", minimum: 1, maximum: 50, default: 5 });
    expect(bing.tools.search_results.output_schema).toMatchObject({ type: "array" });
    expect(bing.tools.chat.stream).toBe(true);
    expect(plugins[1]).toMatchObject({ config_required: false });
  });

  it.each([
    ["a plugin with no tools", `import { definePlugin } from "hiagent-plugin-sdk"; export default definePlugin({ name: "E", tools: {} });`, /no tools/],
    ["a default export that is not a plugin", `export default { name: "x" };`, /definePlugin/],
    ["a bundle that throws while loading", `throw new Error("boom at load");`, /boom at load/],
    ["a bundle that loops forever while loading", `for (;;) {}`, /timed out|time limit/],
    ["a bundle that loops in microtasks while loading", `const f = () => queueMicrotask(f); f();`, /timed out|time limit/],
    ["a bundle that grows a promise chain while loading", `const grow = () => Promise.resolve().then(grow); grow();`, /timed out|time limit|memory limit/],
    ["two plugins with one name", `import { definePlugin, defineTool } from "hiagent-plugin-sdk"; const p = () => definePlugin({ name: "D", tools: { t: defineTool({ run: () => 1 }) } }); export default [p(), p()];`, /two plugins/],
  ])("rejects %s with InvalidPackage", async (_name, source, message) => {
    await expect(h.install(`bad${Math.random().toString(36).slice(2, 8)}`, { "index.ts": source })).rejects.toMatchObject({ code: "InvalidPackage", message });
    const ok = await h.install("fine", pluginSource(`t: defineTool({ run: () => 1 })`));
    expect((await h.call(ok, "P", "t")).value).toBe(1);
  });
});

describe("warm isolates", () => {
  it("keeps at most max_isolates warm, disposing the least recently used", async () => {
    const t = await h.install("lru", pluginSource(`set: defineTool({ run: () => { globalThis.v = (globalThis.v ?? 0) + 1; return globalThis.v; } })`));
    expect((await h.call(t, "P", "set", {}, { tenant: "a" })).value).toBe(1);
    expect((await h.call(t, "P", "set", {}, { tenant: "a" })).value).toBe(2);
    expect((await h.call(t, "P", "set", {}, { tenant: "b" })).value).toBe(1);
    expect((await h.call(t, "P", "set", {}, { tenant: "c" })).value).toBe(1); // evicts a
    expect((await h.call(t, "P", "set", {}, { tenant: "c" })).value).toBe(2);
    expect((await h.call(t, "P", "set", {}, { tenant: "a" })).value).toBe(1); // a started over
    await h.sandbox.refreshStats();
    expect(h.sandbox.health().processes[0]!.warm_isolates).toBeLessThanOrEqual(2);
  });

  it("drops every warm isolate of a package version", async () => {
    const t = await h.install("dropme", pluginSource(`set: defineTool({ run: () => { globalThis.v = (globalThis.v ?? 0) + 1; return globalThis.v; } })`));
    await h.call(t, "P", "set", {}, { tenant: "a" });
    expect((await h.call(t, "P", "set", {}, { tenant: "a" })).value).toBe(2);
    await h.sandbox.dropPackage("dropme", "1.0.0");
    expect((await h.call(t, "P", "set", {}, { tenant: "a" })).value).toBe(1);
  });
});
