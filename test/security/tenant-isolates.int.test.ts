// The per-tenant cap on warm isolates (`sandbox.tenant_max_isolates`): a tenant past
// its cap loses its own least recently used idle isolate, while another tenant's warm
// isolate of the same package survives, although the server-wide cap is far away.
// One sandbox process, so the cap is not split and the case is deterministic.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLUGIN, pluginZip, zipName, type PluginPackageSpec } from "./hostile-packages.ts";
import { startSecurityServer, type Caller, type SecurityServer } from "./security-server.ts";

const TENANT_MAX_ISOLATES = 2;
const VERSIONS = ["1.0.0", "1.0.1", "1.0.2"];

let server: SecurityServer;

/** Each load of the bundle (each new isolate) draws a new id; a warm isolate keeps answering the same one. */
const marked = (version: string): PluginPackageSpec => ({
  name: "sec_warm",
  version,
  top: `const loadId = Math.random().toString(36).slice(2);`,
  tools: `id: defineTool({ run: () => loadId }),`,
});

const idOf = async (as: Caller, version: string): Promise<string> => {
  const res = await server.call<string>(as, "RunPluginTool", { pkg: "sec_warm", version, plugin: PLUGIN, tool: "id" });
  expect(res.status, JSON.stringify(res.body.error)).toBe(200);
  return res.body.data;
};

beforeAll(async () => {
  server = await startSecurityServer({
    HIAGENT_SANDBOX__PROCESSES: "1",
    HIAGENT_SANDBOX__MAX_ISOLATES: "10",
    HIAGENT_SANDBOX__TENANT_MAX_ISOLATES: String(TENANT_MAX_ISOLATES),
  });
  for (const version of VERSIONS) {
    const spec = marked(version);
    const res = await server.install(await pluginZip(spec), zipName(spec));
    expect(res.status, JSON.stringify(res.body.error)).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe("tenant_max_isolates", () => {
  it("a tenant over its cap loses its own least recently used isolate; another tenant's stays warm", async () => {
    const bFirst = await idOf("b", "1.0.0");
    const a0 = await idOf("a", "1.0.0");
    expect(await idOf("a", "1.0.0")).toBe(a0); // warm
    const a1 = await idOf("a", "1.0.1");
    // A's third isolate: past its cap of 2, A's least recently used (1.0.0) goes.
    const a2 = await idOf("a", "1.0.2");
    expect(await idOf("a", "1.0.1")).toBe(a1);
    expect(await idOf("a", "1.0.2")).toBe(a2);
    expect(await idOf("a", "1.0.0")).not.toBe(a0);
    // B's isolate of the very package A just lost was never touched.
    expect(await idOf("b", "1.0.0")).toBe(bFirst);
  });
});
