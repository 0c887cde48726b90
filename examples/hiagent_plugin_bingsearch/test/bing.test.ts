// The Bing plugin in the real sandbox against a fake Bing on 127.0.0.1: the manifest
// lists only the real service, so the fake's origin is opened the way an operator
// would (allow_private_origins + extra_origins) through loadPlugin's allowOrigins.
import { fileURLToPath } from "node:url";
import { loadPlugin, sendJson, startFakeUpstream, type FakeUpstream, type LoadedPlugin, type PluginCallError } from "hiagent-plugin-sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const GOOD_KEY = "good-key";

interface WebResult {
  title: string;
  link: string;
  snippet: string;
}

let bing: FakeUpstream;
let plugin: LoadedPlugin;
/** An upstream the operator lets the plugin reach, but not one of its secret origins. */
let decoy: FakeUpstream;
let cfg: { api_key: string; base_url: string };

function pages(query: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    name: `${query} result ${i + 1}`,
    url: `https://example.com/${i + 1}`,
    snippet: `About ${query}, part ${i + 1}`,
    displayUrl: "example.com",
  }));
}

async function failure(promise: Promise<unknown>): Promise<PluginCallError> {
  try {
    await promise;
  } catch (err) {
    return err as PluginCallError;
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  bing = await startFakeUpstream((req, res) => {
    const key = req.headers["ocp-apim-subscription-key"];
    if (key !== GOOD_KEY) {
      sendJson(res, 401, { error: { code: "401", message: "Access denied due to invalid subscription key." } });
      return;
    }
    if (req.url.pathname !== "/v7.0/search") {
      sendJson(res, 404, { errors: [{ message: "no such endpoint" }] });
      return;
    }
    const query = req.url.searchParams.get("q") ?? "";
    const count = Number(req.url.searchParams.get("count") ?? "10");
    sendJson(res, 200, { _type: "SearchResponse", webPages: { value: pages(query, count) } });
  });
  cfg = { api_key: GOOD_KEY, base_url: bing.origin };
  decoy = await startFakeUpstream((_req, res) => sendJson(res, 401, { error: "unknown key" }));
  plugin = await loadPlugin(PACKAGE_DIR, {
    allowOrigins: [bing.origin],
    sandbox: { fetch: { extra_origins: [decoy.origin], allow_private_origins: [decoy.origin] } },
  });
});

afterAll(async () => {
  await decoy?.close();
  await plugin?.close();
  await bing?.close();
});

describe("hiagent_plugin_bingsearch", () => {
  it("describes the Bing plugin with a secret key and defaults", () => {
    expect(plugin.meta).toMatchObject({ name: "hiagent_plugin_bingsearch", version: "0.2.1" });
    const [meta] = plugin.meta.plugins;
    expect(meta?.name).toBe("Bing");
    expect(Object.keys(meta?.tools ?? {})).toEqual(["search", "search_results"]);
    expect(meta?.config_required).toBe(true);
    expect(JSON.stringify(meta?.config_schema)).toContain('"x-hiagent-secret":true');
    const input = meta?.tools.search_results?.input_schema as { properties: Record<string, { default?: unknown; maximum?: number }> };
    expect(input.properties.num_results).toMatchObject({ default: 5, maximum: 50 });
  });

  it("returns structured results and sends the Bing v7 request shape", async () => {
    const results = await plugin.call<WebResult[]>("Bing", "search_results", { query: "zod schemas", num_results: 3 }, cfg);
    expect(results).toEqual([
      { title: "zod schemas result 1", link: "https://example.com/1", snippet: "About zod schemas, part 1" },
      { title: "zod schemas result 2", link: "https://example.com/2", snippet: "About zod schemas, part 2" },
      { title: "zod schemas result 3", link: "https://example.com/3", snippet: "About zod schemas, part 3" },
    ]);
    const request = bing.requests.at(-1);
    expect(request?.method).toBe("GET");
    expect(request?.url.pathname).toBe("/v7.0/search");
    expect(request?.url.searchParams.get("q")).toBe("zod schemas");
    expect(request?.url.searchParams.get("count")).toBe("3");
    expect(request?.headers["ocp-apim-subscription-key"]).toBe(GOOD_KEY);
  });

  it("summarises results as text, five by default", async () => {
    const text = await plugin.call<string>("Bing", "search", { query: "isolates" }, cfg);
    expect(bing.requests.at(-1)?.url.searchParams.get("count")).toBe("5");
    expect(text.split("\n")[0]).toBe('Top 5 Bing results for "isolates":');
    expect(text).toContain("1. isolates result 1 (https://example.com/1)\n   About isolates, part 1");
    expect(text).toContain("5. isolates result 5");
  });

  it("refuses out-of-range input before calling Bing", async () => {
    const before = bing.requests.length;
    const err = await failure(plugin.call("Bing", "search", { query: "x", num_results: 51 }, cfg));
    expect(err.code).toBe("InvalidInput");
    expect(JSON.stringify(err.data)).toContain("num_results");
    expect(bing.requests.length).toBe(before);
  });

  it("says plainly when Bing rejects the key", async () => {
    const err = await failure(plugin.call("Bing", "search", { query: "x" }, { ...cfg, api_key: "wrong" }));
    expect(err.code).toBe("ToolError");
    expect(err.message).toBe("Bing rejected the API key (HTTP 401): check api_key");
    expect(err.data).toMatchObject({ status: 401, upstream: "Access denied due to invalid subscription key." });
    expect(err.location).toMatch(/^src\/bing-client\.ts:\d+:\d+$/);
  });

  it("validates a config with one cheap request", async () => {
    await expect(plugin.validate("Bing", cfg)).resolves.toBeUndefined();
    expect(bing.requests.at(-1)?.url.searchParams.get("count")).toBe("1");
    const err = await failure(plugin.validate("Bing", { ...cfg, api_key: "wrong" }));
    expect(err.code).toBe("PluginInvalidConfig");
    expect(err.message).toContain("Bing rejected the API key");
    expect((await failure(plugin.validate("Bing", { base_url: bing.origin }))).code).toBe("PluginInvalidConfig");
  });

  it("cannot reach an origin outside its permissions", async () => {
    const err = await failure(plugin.call("Bing", "search", { query: "x" }, { ...cfg, base_url: "https://bing.example.net" }));
    expect(err.code).toBe("FetchDenied");
  });
});

describe("secrets", () => {
  it("the plugin holds only a placeholder: an upstream outside its secret origins gets hsp_…, never the key", async () => {
    await failure(plugin.call("Bing", "search", { query: "x" }, { api_key: GOOD_KEY, base_url: decoy.origin }));
    const got = decoy.requests.at(-1);
    expect(got?.headers["ocp-apim-subscription-key"]).toMatch(/^hsp_[A-Za-z0-9_-]{32}$/);
    expect(JSON.stringify(got)).not.toContain(GOOD_KEY);
  });
});
