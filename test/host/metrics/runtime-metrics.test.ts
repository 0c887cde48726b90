// The registry's rules, without a server: per-tenant series only with tenant labels on,
// label values bounded (bad spellings and names past a label's cap fold into fixed
// values), who may scrape, and a worker's scrape server.
import { describe, expect, it } from "vitest";
import { mintToken } from "../../../host/auth/index.ts";
import { meteredInstallRunner, RuntimeMetrics, ScrapeAccess, serveMetrics } from "../../../host/metrics/index.ts";
import { RuntimeError } from "../../../sandbox/errors.ts";
import { Scrape } from "./prometheus-text.ts";

const usage = { cpu_ms: 7, wall_ms: 20, heap_peak_bytes: 1 << 20, wasm_memory_bytes: 0, fetch_count: 2, fetch_bytes: 300 };
const call = { tenant: "acme", pkg: "weather", version: "1.0.0", plugin: "W", tool: "now" };

describe("RuntimeMetrics", () => {
  it("keeps no tenant label by default: rejections are counted, per-tenant series are absent", async () => {
    const metrics = new RuntimeMetrics({ tenantLabels: false, processMetrics: false });
    metrics.toolCall(call, undefined, usage);
    metrics.toolCall(call, "QuotaExceeded", undefined);
    const scrape = new Scrape(await metrics.scrape());
    expect(scrape.value("hiagent_quota_rejections_total")).toBe(1);
    expect(scrape.families.has("hiagent_tenant_tool_calls_total")).toBe(false);
    expect(scrape.families.has("hiagent_tenant_cpu_ms_total")).toBe(false);
    expect(scrape.families.has("process_cpu_seconds_total")).toBe(false);
    expect(scrape.value("hiagent_tool_call_fetch_bytes_total", { package: "weather" })).toBe(300);
    expect(scrape.histogram("hiagent_tool_call_cpu_ms", { package: "weather", plugin: "W", tool: "now" })).toEqual({ count: 1, sum: 7 });
  });

  it("folds badly spelled names into _unknown and names past a label's cap into _other", async () => {
    const metrics = new RuntimeMetrics({ tenantLabels: true, processMetrics: false });
    metrics.toolCall({ ...call, pkg: 'evil"\n{pkg}' }, "ToolError", undefined);
    for (let i = 0; i < 1100; i++) metrics.toolCall({ ...call, tenant: `t${i}` }, undefined, usage);
    metrics.httpRequest("RunPluginTool", "NotAnErrorCode", 0.01);
    const scrape = new Scrape(await metrics.scrape());
    expect(scrape.value("hiagent_tool_calls_total", { package: "_unknown", version: "_unknown", plugin: "_unknown", tool: "_unknown", outcome: "ToolError" })).toBe(1);
    const tenants = scrape.labelValues("hiagent_tenant_tool_calls_total", "tenant");
    expect(tenants).toHaveLength(1001);
    expect(scrape.value("hiagent_tenant_tool_calls_total", { tenant: "_other" })).toBe(100);
    expect(scrape.value("hiagent_http_requests_total", { operation: "RunPluginTool", code: "_unknown" })).toBe(1);
  });

  it("times each install stage from one report to the next and counts the outcome", async () => {
    const metrics = new RuntimeMetrics({ tenantLabels: false, processMetrics: false });
    const runner = meteredInstallRunner(async (_req, ctx) => {
      ctx.onStage("download", 10);
      ctx.onStage("download", 20);
      ctx.onStage("bundle", 50);
      throw new RuntimeError("InvalidPackage", "bad zip");
    }, metrics);
    const stages: string[] = [];
    await expect(runner({ uri: "file:///x.zip", filename: "x.zip", force: false }, { signal: new AbortController().signal, onStage: (s) => stages.push(s) })).rejects.toThrow("bad zip");
    expect(stages).toEqual(["download", "download", "bundle"]);
    const scrape = new Scrape(await metrics.scrape());
    expect(scrape.value("hiagent_install_jobs_total", { outcome: "InvalidPackage" })).toBe(1);
    expect(scrape.histogram("hiagent_install_stage_duration_seconds", { stage: "download" }).count).toBe(1);
    expect(scrape.histogram("hiagent_install_stage_duration_seconds", { stage: "bundle" }).count).toBe(1);
  });
});

describe("ScrapeAccess", () => {
  const admin = mintToken();
  const invoke = mintToken();
  const scraper = mintToken();
  const auth = { tokens: [{ token_sha256: admin.sha256, tenant: "ops", role: "admin" as const }, { token_sha256: invoke.sha256, tenant: "a", role: "invoke" as const }] };

  it("without auth: loopback callers only, unless they bring the metrics token", () => {
    const open = new ScrapeAccess(undefined, scraper.sha256);
    expect(() => open.check({ authorization: undefined, remoteAddress: "127.0.0.1" })).not.toThrow();
    expect(() => open.check({ authorization: undefined, remoteAddress: "::ffff:127.0.0.1" })).not.toThrow();
    expect(() => open.check({ authorization: undefined, remoteAddress: "10.0.0.5" })).toThrow(expect.objectContaining({ code: "Unauthorized" }));
    expect(() => open.check({ authorization: `Bearer ${scraper.token}`, remoteAddress: "10.0.0.5" })).not.toThrow();
  });

  it("with auth: an admin token or the metrics token; an invoke token is Forbidden; loopback alone is not enough", () => {
    const guarded = new ScrapeAccess(auth, scraper.sha256);
    expect(() => guarded.check({ authorization: `Bearer ${admin.token}`, remoteAddress: "10.0.0.5" })).not.toThrow();
    expect(() => guarded.check({ authorization: `Bearer ${scraper.token}`, remoteAddress: "10.0.0.5" })).not.toThrow();
    expect(() => guarded.check({ authorization: `Bearer ${invoke.token}`, remoteAddress: "127.0.0.1" })).toThrow(expect.objectContaining({ code: "Forbidden" }));
    expect(() => guarded.check({ authorization: undefined, remoteAddress: "127.0.0.1" })).toThrow(expect.objectContaining({ code: "Unauthorized" }));
  });
});

describe("a worker's scrape server", () => {
  it("serves GET /metrics under the same rules and nothing else", async () => {
    const metrics = new RuntimeMetrics({ tenantLabels: false });
    metrics.installJob(undefined, 1.5);
    const admin = mintToken();
    const server = await serveMetrics(metrics, new ScrapeAccess({ tokens: [{ token_sha256: admin.sha256, tenant: "ops", role: "admin" }] }, undefined), { host: "127.0.0.1", port: 0 });
    try {
      const denied = await fetch(`${server.url}/metrics`);
      expect(denied.status).toBe(401);
      expect(((await denied.json()) as { error: { code: string } }).error.code).toBe("Unauthorized");
      const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${admin.token}` } });
      expect(ok.status).toBe(200);
      const scrape = new Scrape(await ok.text());
      expect(scrape.value("hiagent_install_jobs_total", { outcome: "ok" })).toBe(1);
      expect(scrape.value("process_resident_memory_bytes")).toBeGreaterThan(0);
      expect((await fetch(`${server.url}/other`, { headers: { authorization: `Bearer ${admin.token}` } })).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe("docs/grafana-dashboard.json", () => {
  it("queries only metrics the runtime exposes", async () => {
    const { readFile } = await import("node:fs/promises");
    const dashboard = JSON.parse(await readFile(new URL("../../../docs/grafana-dashboard.json", import.meta.url), "utf8")) as { panels: { targets: { expr: string }[] }[] };
    const metrics = new RuntimeMetrics({ tenantLabels: true, processMetrics: false });
    metrics.watchSandbox({ health: () => ({ processes: [] }), observeEgress: () => undefined });
    metrics.watchQueue({ health: () => ({ queued: 0, running: 0 }) });
    const exposed = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/hiagent_[a-z_]+/g) ?? []));
    expect(used.length).toBeGreaterThan(10);
    for (const name of used) expect(exposed.has(name) || exposed.has(name.replace(/_(bucket|sum|count)$/, ""))).toBe(true);
  });
});
