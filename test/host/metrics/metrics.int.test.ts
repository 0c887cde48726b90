// GET /metrics on a running server (real sandbox, real installs, real HTTP): after a
// scripted set of calls (a success, a ToolError, a ToolTimeout, a FetchDenied, an
// allowed fetch to a loopback upstream, an unknown package, a tenant over its quota, an
// install) each counter and histogram moved
// by exactly what happened, read with a Prometheus text-format parser. Scraping needs
// an admin token or the metrics token; unknown names never become label values.
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import JSZip from "jszip";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../../../host/auth/index.ts";
import { startTestRuntime, type TestRuntime } from "../http/runtime-fixture.ts";
import { Scrape } from "./prometheus-text.ts";

const PKG = "probe_metrics";
const QUOTA_TENANT = "quota-m";
let rt: TestRuntime;
const tokens = new Map<string, string>();
let metricsToken = "";
let upstream: Server;
let upstreamOrigin = "";

const PROBE_SOURCE = `import { definePlugin, defineTool, PluginError, z } from "hiagent-plugin-sdk";
export default definePlugin({
  name: "Probe",
  description: "Outcomes on demand",
  tools: {
    ok: defineTool({ input: z.object({}), run: () => ({ ok: true }) }),
    fail: defineTool({ input: z.object({}), run: () => { throw new PluginError("upstream said no"); } }),
    spin: defineTool({ input: z.object({}), run: () => { for (;;) {} } }),
    denied: defineTool({ input: z.object({}), run: async (_input, ctx) => (await ctx.fetch("http://denied.example/")).status }),
    fetch_ok: defineTool({ input: z.object({ url: z.string() }), run: async ({ url }, ctx) => (await ctx.fetch(url)).text() }),
  },
});
`;

async function writeProbe(dir: string): Promise<string> {
  const archive = new JSZip();
  archive.file("package.json", JSON.stringify({ name: PKG, version: "1.0.0", type: "module", hiagent: { entry: "src/index.ts", permissions: { fetch: [upstreamOrigin] } }, dependencies: { "hiagent-plugin-sdk": "*" } }));
  archive.file("src/index.ts", PROBE_SOURCE);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${PKG}-1.0.0.zip`);
  await writeFile(file, await archive.generateAsync({ type: "nodebuffer" }));
  return `file://${file}`;
}

const bearer = (as: string) => ({ authorization: `Bearer ${tokens.get(as) ?? ""}` });

async function call(as: string, operation: string, body: object): Promise<{ status: number; code: string | undefined }> {
  const res = await rt.post(operation, body, { headers: bearer(as) });
  const envelope = (await res.json()) as { error: { code: string } | null };
  return { status: res.status, code: envelope.error?.code };
}

const run = (as: string, tool: string, pkg = PKG, input: object = {}) => call(as, "RunPluginTool", { pkg, version: "1.0.0", plugin: "Probe", tool, input });

async function scrape(headers: Record<string, string> = bearer("operator")): Promise<Scrape> {
  const res = await fetch(`${rt.url}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Scrape(await res.text());
}

const tool = (name: string) => ({ package: PKG, plugin: "Probe", tool: name });

beforeAll(async () => {
  upstream = createServer((_req, res) => res.end("hello"));
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamOrigin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const entries = [];
  for (const [tenant, role] of [["operator", "admin"], ["alpha", "invoke"], [QUOTA_TENANT, "invoke"]] as const) {
    const minted = mintToken();
    tokens.set(tenant, minted.token);
    entries.push({ token_sha256: minted.sha256, tenant, role });
  }
  const scraper = mintToken();
  metricsToken = scraper.token;
  rt = await startTestRuntime({
    HIAGENT_AUTH__TOKENS: JSON.stringify(entries),
    HIAGENT_METRICS__TOKEN_SHA256: scraper.sha256,
    HIAGENT_METRICS__TENANT_LABELS: "true",
    HIAGENT_SANDBOX__TIMEOUT_MS: "1000",
    HIAGENT_SANDBOX__FETCH__ALLOW_PRIVATE_ORIGINS: JSON.stringify([upstreamOrigin]),
    HIAGENT_TENANTS: JSON.stringify({ [QUOTA_TENANT]: { quotas: { calls: { limit: 1, window: "1h" } } } }),
  });
}, 120_000);
afterAll(async () => {
  await rt?.close();
  upstream?.close();
});

describe("who may scrape", () => {
  it("no token is Unauthorized with a challenge, an invoke token is Forbidden, admin and the metrics token may", async () => {
    const anonymous = await fetch(`${rt.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe("Unauthorized");
    const invoke = await fetch(`${rt.url}/metrics`, { headers: bearer("alpha") });
    expect(invoke.status).toBe(403);
    expect(((await invoke.json()) as { error: { code: string } }).error.code).toBe("Forbidden");
    const wrong = await fetch(`${rt.url}/metrics`, { headers: { authorization: "Bearer not-a-token" } });
    expect(wrong.status).toBe(401);
    await scrape(bearer("operator"));
    const viaToken = await scrape({ authorization: `Bearer ${metricsToken}` });
    expect(viaToken.families.has("hiagent_tool_calls_total")).toBe(true);
    // The node's own process metrics come with every scrape.
    expect(viaToken.value("process_resident_memory_bytes")).toBeGreaterThan(0);
  });
});

describe("after a scripted set of calls", () => {
  let before: Scrape;
  let after: Scrape;
  const delta = (name: string, labels: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
  const hDelta = (name: string, labels: Record<string, string>) => {
    const a = after.histogram(name, labels);
    const b = before.histogram(name, labels);
    return { count: a.count - b.count, sum: a.sum - b.sum };
  };

  beforeAll(async () => {
    before = await scrape();
    const uri = await writeProbe(path.join(rt.dir, "pkgs"));
    expect((await call("operator", "InstallPackage", { uri, filename: "probe.zip" })).status).toBe(200);
    expect(await run("alpha", "ok")).toEqual({ status: 200, code: undefined });
    expect(await run("alpha", "ok")).toEqual({ status: 200, code: undefined });
    expect((await run("alpha", "fail")).code).toBe("ToolError");
    expect((await run("alpha", "spin")).code).toBe("ToolTimeout");
    expect((await run("alpha", "denied")).code).toBe("FetchDenied");
    expect(await run("alpha", "fetch_ok", PKG, { url: `${upstreamOrigin}/x` })).toEqual({ status: 200, code: undefined });
    expect((await run("alpha", "ok", "no_such_pkg")).code).toBe("PackageNotFound");
    expect((await run(QUOTA_TENANT, "ok")).status).toBe(200);
    expect((await run(QUOTA_TENANT, "ok")).code).toBe("QuotaExceeded");
    expect((await rt.post("NoSuchOperation", {}, { headers: bearer("alpha") })).status).toBe(404);
    after = await scrape();
  }, 120_000);

  it("counts each tool call once under its package, version, plugin, tool and outcome", () => {
    const calls = (name: string, outcome: string) => delta("hiagent_tool_calls_total", { ...tool(name), version: "1.0.0", outcome });
    expect(calls("ok", "ok")).toBe(3);
    expect(calls("ok", "QuotaExceeded")).toBe(1);
    expect(calls("fail", "ToolError")).toBe(1);
    expect(calls("spin", "ToolTimeout")).toBe(1);
    expect(calls("denied", "FetchDenied")).toBe(1);
    expect(calls("fail", "ok") + calls("spin", "ok") + calls("denied", "ok")).toBe(0);
  });

  it("observes the receipt of every call that ran (latency, CPU, heap, fetches), none of one refused", () => {
    for (const [name, n] of [["ok", 3], ["fail", 1], ["spin", 1], ["denied", 1]] as const) {
      expect(hDelta("hiagent_tool_call_duration_seconds", tool(name)).count).toBe(n);
      expect(hDelta("hiagent_tool_call_cpu_ms", tool(name)).count).toBe(n);
      expect(hDelta("hiagent_tool_call_heap_peak_bytes", tool(name)).count).toBe(n);
      expect(hDelta("hiagent_tool_call_fetches", tool(name)).count).toBe(n);
    }
    // The timed-out call ran its whole second; the quick ones did not.
    expect(hDelta("hiagent_tool_call_duration_seconds", tool("spin")).sum).toBeGreaterThanOrEqual(0.9);
    expect(hDelta("hiagent_tool_call_cpu_ms", tool("ok")).sum).toBeGreaterThan(0);
    // The receipt counts the one fetch the denied call attempted; the others made none.
    expect(hDelta("hiagent_tool_call_fetches", tool("denied")).sum).toBe(1);
    expect(hDelta("hiagent_tool_call_fetches", tool("ok")).sum).toBe(0);
    expect(after.value("hiagent_tool_calls_in_flight")).toBe(0);
  });

  it("counts plugin fetches by destination origin and outcome; a refused one never names its origin", () => {
    expect(delta("hiagent_egress_requests_total", { origin: upstreamOrigin, outcome: "allowed", reason: "" })).toBe(1);
    expect(delta("hiagent_egress_response_bytes_total", { origin: upstreamOrigin })).toBe(5);
    expect(delta("hiagent_egress_requests_total", { origin: "_denied", outcome: "denied", reason: "FetchDenied" })).toBe(1);
    expect(after.labelValues("hiagent_egress_requests_total", "origin")).not.toContain("http://denied.example");
    expect(hDelta("hiagent_tool_call_fetches", tool("fetch_ok"))).toEqual({ count: 1, sum: 1 });
  });

  it("counts every HTTP request by operation and error code, with a latency histogram", () => {
    const req = (operation: string, code: string) => delta("hiagent_http_requests_total", { operation, code });
    expect(req("RunPluginTool", "ok")).toBe(4);
    expect(req("RunPluginTool", "ToolError")).toBe(1);
    expect(req("RunPluginTool", "ToolTimeout")).toBe(1);
    expect(req("RunPluginTool", "FetchDenied")).toBe(1);
    expect(req("RunPluginTool", "PackageNotFound")).toBe(1);
    expect(req("RunPluginTool", "QuotaExceeded")).toBe(1);
    expect(req("InstallPackage", "ok")).toBe(1);
    expect(req("_unknown", "InvalidRequest")).toBe(1);
    expect(hDelta("hiagent_http_request_duration_seconds", { operation: "RunPluginTool" }).count).toBe(9);
    // The scrape before this one is counted too.
    expect(req("Metrics", "ok")).toBe(1);
  });

  it("counts per-tenant calls, CPU and quota rejections under the tenant (metrics.tenant_labels: true)", () => {
    expect(delta("hiagent_tenant_tool_calls_total", { tenant: "alpha" })).toBe(6);
    expect(delta("hiagent_tenant_tool_calls_total", { tenant: QUOTA_TENANT })).toBe(1);
    expect(delta("hiagent_tenant_cpu_ms_total", { tenant: "alpha" })).toBeGreaterThan(0);
    expect(delta("hiagent_quota_rejections_total", { tenant: QUOTA_TENANT })).toBe(1);
    expect(delta("hiagent_quota_rejections_total", { tenant: "alpha" })).toBe(0);
  });

  it("counts the install by outcome, with its duration and each stage it went through", () => {
    expect(delta("hiagent_install_jobs_total", { outcome: "ok" })).toBe(1);
    expect(hDelta("hiagent_install_duration_seconds", { outcome: "ok" }).count).toBe(1);
    const stages = after.labelValues("hiagent_install_stage_duration_seconds", "stage");
    expect(stages).toEqual(expect.arrayContaining(["download", "unpack", "bundle", "inspect"]));
    for (const stage of stages) expect(hDelta("hiagent_install_stage_duration_seconds", { stage }).count).toBe(1);
    expect(after.value("hiagent_install_queue_depth", { state: "queued" })).toBe(0);
    expect(after.value("hiagent_install_queue_depth", { state: "running" })).toBe(0);
  });

  it("reports each sandbox process: warm isolates, calls in flight, memory and CPU", () => {
    expect(after.value("hiagent_sandbox_warm_isolates", { process: "0" })).toBeGreaterThanOrEqual(0);
    expect(after.families.get("hiagent_sandbox_warm_isolates")?.metrics).toHaveLength(1);
    expect(after.value("hiagent_sandbox_in_flight", { process: "0" })).toBe(0);
    expect(after.value("hiagent_sandbox_process_resident_memory_bytes", { process: "0" })).toBeGreaterThan(0);
    expect(after.value("hiagent_sandbox_process_cpu_seconds_total", { process: "0" })).toBeGreaterThan(0);
  });

  it("never turns an unknown package or route into a label value", () => {
    expect(delta("hiagent_tool_calls_total", { package: "_unknown", version: "_unknown", plugin: "_unknown", tool: "_unknown", outcome: "PackageNotFound" })).toBe(1);
    expect(after.labelValues("hiagent_tool_calls_total", "package")).not.toContain("no_such_pkg");
    expect(after.labelValues("hiagent_http_requests_total", "operation")).not.toContain("NoSuchOperation");
  });
});
