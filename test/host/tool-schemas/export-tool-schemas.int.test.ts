// ExportToolSchemas on a running runtime with every example plugin installed (built by
// the real package builder): each format's tools pass that API's documented rules
// (model-api-rules.ts), with and without strict; the report says what strict mode
// dropped; names are unique and follow the shared naming rule; and a call made the way
// a strict-mode model makes it (every property, null for the ones left out) runs,
// while the full schema still refuses what the strict one could not express.
import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../../e2e/api-test-client.ts";
import { startTestRuntime, type TestRuntime } from "../http/runtime-fixture.ts";
import { FIXTURES_DIR, zipFolder } from "../package/zip-fixtures.ts";
import { anthropicToolProblems, mcpToolProblems, openAiToolProblems } from "./model-api-rules.ts";

const EXAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../examples");

interface Exported {
  format: string;
  strict: boolean;
  tools: Record<string, unknown>[];
  report: { name: string; pkg: string; plugin: string; tool: string; strict: boolean; changes: { path: string; kind: string; keyword?: string }[]; note?: string }[];
  skipped: unknown[];
}

let rt: TestRuntime;
let totalTools = 0;
const call = async <T>(operation: string, body: object) => {
  const res = await rt.post(operation, body);
  return { status: res.status, body: (await res.json()) as Envelope<T> };
};
const exported = async (body: object): Promise<Exported> => {
  const res = await call<Exported>("ExportToolSchemas", body);
  expect(res.body.error).toBeNull();
  return res.body.data;
};

beforeAll(async () => {
  rt = await startTestRuntime();
  const folders: string[] = [];
  for (const name of (await readdir(EXAMPLES_DIR)).sort()) {
    const dir = path.join(EXAMPLES_DIR, name);
    if ((await stat(path.join(dir, "package.json")).catch(() => null))?.isFile()) folders.push(dir);
  }
  folders.push(path.join(FIXTURES_DIR, "keyed"));
  expect(folders.length).toBeGreaterThanOrEqual(6);
  for (const dir of folders) {
    const file = path.join(rt.dir, "pkgs", `${path.basename(dir)}.zip`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, await zipFolder(dir));
    const installed = await call<{ plugins: { tools: object }[] }>("InstallPackage", { uri: `file://${file}`, filename: path.basename(file) });
    expect(installed.body.error, dir).toBeNull();
    totalTools += installed.body.data.plugins.reduce((n, p) => n + Object.keys(p.tools).length, 0);
  }
}, 120_000);

afterAll(async () => {
  await rt?.close();
});

const RULES = { openai: openAiToolProblems, anthropic: anthropicToolProblems, mcp: mcpToolProblems } as const;

describe("ExportToolSchemas over every example plugin", () => {
  for (const format of ["openai", "anthropic", "mcp"] as const) {
    for (const strict of [false, true]) {
      it(`${format}${strict ? ", strict" : ""}: every tool passes the API's rules, with unique names`, async () => {
        const out = await exported({ format, strict });
        expect(out.skipped).toEqual([]);
        expect(out.tools).toHaveLength(totalTools);
        for (const tool of out.tools) expect(RULES[format](tool), JSON.stringify(tool)).toEqual([]);
        const names = out.tools.map((t) => t.name);
        expect(new Set(names).size).toBe(names.length);
        expect(out.report.map((r) => r.name)).toEqual(names);
        if (format !== "mcp") for (const r of out.report) expect(r.strict).toBe(strict);
      });
    }
  }

  it("the rules catch a schema outside the strict subset (the checks can fail)", async () => {
    const plain = await exported({ format: "openai", pkg: "hiagent_plugin_bingsearch" });
    const search = plain.tools.find((t) => t.name === "search");
    expect(openAiToolProblems({ ...search, strict: true })).toEqual(
      expect.arrayContaining([expect.stringContaining("additionalProperties must be false"), expect.stringContaining("keyword minLength"), expect.stringContaining("every property must be required")]),
    );
    const anthropic = await exported({ format: "anthropic", strict: true, pkg: "hiagent_plugin_bingsearch" });
    const openaiStrict = await exported({ format: "openai", strict: true, pkg: "hiagent_plugin_bingsearch" });
    // OpenAI keeps minimum/maximum, which Anthropic's strict mode does not take.
    const openaiSearch = openaiStrict.tools.find((t) => t.name === "search");
    expect(anthropicToolProblems({ name: "search", input_schema: openaiSearch?.parameters, strict: true })).toEqual(expect.arrayContaining([expect.stringContaining("keyword minimum")]));
    expect(anthropic.tools.find((t) => t.name === "search")).toMatchObject({ strict: true });
  });

  it("strict mode reports what it dropped and keeps it readable in the description", async () => {
    const out = await exported({ format: "anthropic", strict: true, pkg: "hiagent_plugin_bingsearch" });
    const report = out.report.find((r) => r.tool === "search");
    expect(report?.changes).toEqual(
      expect.arrayContaining([
        { path: "/properties/query", kind: "dropped", keyword: "minLength", value: 1 },
        { path: "/properties/num_results", kind: "dropped", keyword: "default", value: 5 },
        { path: "/properties/num_results", kind: "dropped", keyword: "minimum", value: 1 },
        { path: "/properties/num_results", kind: "nullable" },
      ]),
    );
    const schema = out.tools.find((t) => t.name === "search")?.input_schema as { properties: Record<string, { description?: string; type?: unknown }>; required: string[] };
    expect(schema.required).toEqual(["query", "num_results"]);
    expect(schema.properties.num_results?.type).toEqual(["integer", "null"]);
    expect(schema.properties.num_results?.description).toBe("How many results to return (default 5; minimum 1; maximum 50.)");
    expect(schema.properties.query?.description).toBe("What to search for (minLength 1.)");
  });

  it("names: {pkg}_{plugin}_{tool} across the deployment, the tool's own name within one package; MCP output schemas are objects", async () => {
    const all = await exported({ format: "mcp" });
    expect(all.tools.map((t) => t.name)).toContain("hiagent_plugin_bingsearch_Bing_search");
    const one = await exported({ format: "mcp", pkg: "hiagent_plugin_bingsearch", version: "0.2.1" });
    expect(one.tools.map((t) => t.name).sort()).toEqual(["search", "search_results"]);
    expect(one.tools.find((t) => t.name === "search")).toMatchObject({
      inputSchema: { type: "object" },
      outputSchema: { type: "object", properties: { result: { type: "string" } }, required: ["result"] },
    });
    const openai = await exported({ format: "openai", pkg: "keyed" });
    expect(openai.tools.map((t) => t.name).sort()).toEqual(["options", "whoami"]);
  });

  it("a call made as a strict-mode model makes it runs, and the full schema still holds", async () => {
    const out = await exported({ format: "openai", strict: true, pkg: "keyed" });
    const params = out.tools.find((t) => t.name === "options")?.parameters as { required: string[] };
    expect(params.required).toEqual(["text", "count", "tag", "mode", "nested"]);
    const cfg = { api_key: "a-long-enough-key" };
    const target = { pkg: "keyed", version: "1.0.0", plugin: "Keyed", tool: "options", cfg };
    const ran = await call("RunPluginTool", { ...target, input: { text: "hi", count: null, tag: null, mode: null, nested: { note: null } } });
    expect(ran.body).toEqual({ data: { text: "hi", count: 2, nested: {} }, error: null });
    // maxLength 5 is not in the strict schema's keywords, but the runtime enforces it.
    const long = await call("RunPluginTool", { ...target, input: { text: "too long", count: null, tag: null, mode: null, nested: null } });
    expect(long.status).toBe(422);
    expect(long.body.error?.code).toBe("InvalidInput");
    // A null where the schema requires a value is still refused.
    expect((await call("RunPluginTool", { ...target, input: { text: null } })).body.error?.code).toBe("InvalidInput");
  });

  it("the new operations are documented in /openapi.json from the same schemas", async () => {
    const doc = (await (await fetch(`${rt.url}/openapi.json`)).json()) as { paths: Record<string, { post?: { tags?: string[] } }> };
    for (const op of ["ExportToolSchemas", "SetPluginConfig", "GetPluginConfig", "DeletePluginConfig", "ListPluginConfigs"]) expect(doc.paths[`/v1/${op}`]?.post, op).toBeDefined();
    expect(doc.paths["/v1/SetPluginConfig"]?.post?.tags).toEqual(["Plugin configs"]);
  });

  it("bad requests get clear errors", async () => {
    expect((await call("ExportToolSchemas", { format: "gemini" })).body.error?.code).toBe("InvalidRequest");
    expect((await call("ExportToolSchemas", { format: "openai", version: "1.0.0" })).body.error).toMatchObject({ code: "InvalidRequest", message: expect.stringContaining("version needs pkg") as unknown });
    expect((await call("ExportToolSchemas", { format: "openai", pkg: "nope" })).body.error?.code).toBe("PackageNotFound");
    expect((await call("ExportToolSchemas", { format: "openai", pkg: "keyed", version: "9.9.9" })).body.error?.code).toBe("PackageNotFound");
    expect((await call("ExportToolSchemas", { format: "openai", extra: 1 })).body.error?.code).toBe("InvalidRequest");
  });
});
