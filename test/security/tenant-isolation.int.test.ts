// Tenancy (SPEC §4, §10): the tenant comes from the bearer token; isolates are never
// shared between tenants (a global set in tenant A's call is invisible to tenant B's
// call of the same package version); and tenant A flooding the server with CPU loops
// neither starves tenant B (its latency is measured with and without the flood, and
// printed) nor gets past its own queue (RateLimited, 429).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLUGIN, pluginZip, zipName, type PluginPackageSpec } from "./hostile-packages.ts";
import { summarise, type LatencySummary } from "./latency-stats.ts";
import { RSS_HEADROOM_BYTES, startSecurityServer, TENANT_OF, type Caller, type SecurityServer } from "./security-server.ts";

const TENANT_MAX_CONCURRENT = 4;
const TENANT_MAX_QUEUED = 8;
/** Package versions A spins in, so that its running calls each have an isolate of their own. */
const SPIN_VERSIONS = ["1.0.0", "1.0.1", "1.0.2", "1.0.3"];
const MEASURE_MS = 4000;

let server: SecurityServer;
let rssBefore = 0;

const STATE: PluginPackageSpec = {
  name: "sec_state",
  tools: `
    set: defineTool({ input: z.object({ value: z.string() }), run({ value }) { globalThis.secret = value; return value; } }),
    get: defineTool({ run: () => globalThis.secret ?? null }),
    whoami: defineTool({ run: (_input, ctx) => ctx.tenant }),
  `,
};

const spinner = (version: string): PluginPackageSpec => ({ name: "sec_spin", version, tools: `spin: defineTool({ run() { for (;;) {} } }),` });

const run = (as: Caller, pkg: string, tool: string, input: object = {}, version = "1.0.0") =>
  server.call(as, "RunPluginTool", { pkg, version, plugin: PLUGIN, tool, input });

/** B's trivial calls, one after another, for `ms`: their latencies. */
async function measureB(ms: number): Promise<number[]> {
  const latencies: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const started = performance.now();
    const res = await run("b", STATE.name, "whoami");
    latencies.push(performance.now() - started);
    expect(res.body).toEqual({ data: TENANT_OF.b, error: null });
  }
  return latencies;
}

beforeAll(async () => {
  server = await startSecurityServer({
    HIAGENT_SANDBOX__TENANT_MAX_CONCURRENT: String(TENANT_MAX_CONCURRENT),
    HIAGENT_SANDBOX__TENANT_MAX_QUEUED: String(TENANT_MAX_QUEUED),
    // Room for A's spinning isolates and B's, so B's stays warm and the figures are about CPU, not cold starts.
    HIAGENT_SANDBOX__MAX_ISOLATES: "16",
  });
  await server.calculatorWorks();
  rssBefore = server.rss();
  for (const spec of [STATE, ...SPIN_VERSIONS.map(spinner)]) {
    const res = await server.install(await pluginZip(spec), zipName(spec));
    expect(res.status, JSON.stringify(res.body.error)).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe("the tenant comes from the token", () => {
  it("ctx.tenant is the token's tenant", async () => {
    for (const caller of ["a", "b", "admin"] as const) expect((await run(caller, STATE.name, "whoami")).body.data).toBe(TENANT_OF[caller]);
  });
});

describe("isolates are never shared between tenants", () => {
  it("a global set by tenant A's call is invisible to tenant B's call of the same package version, and the other way round", async () => {
    expect((await run("a", STATE.name, "set", { value: "A's secret" })).body.data).toBe("A's secret");
    expect((await run("a", STATE.name, "get")).body.data).toBe("A's secret");
    expect((await run("b", STATE.name, "get")).body.data).toBeNull();
    expect((await run("b", STATE.name, "set", { value: "B's secret" })).body.data).toBe("B's secret");
    expect((await run("a", STATE.name, "get")).body.data).toBe("A's secret");
    expect((await run("b", STATE.name, "get")).body.data).toBe("B's secret");
    expect((await run("admin", STATE.name, "get")).body.data).toBeNull();
  });
});

describe("one tenant's flood does not starve another", () => {
  it("while A floods with CPU loops, B's calls keep their latency; A's excess is RateLimited (429)", async () => {
    // Warm B's isolate and measure B alone.
    await measureB(300);
    const quiet = summarise(await measureB(MEASURE_MS));

    const outcomes = new Map<string, number>();
    let rateLimitedMessage = "";
    let flooding = true;
    const floodWorker = async (slot: number): Promise<void> => {
      while (flooding) {
        const version = SPIN_VERSIONS[slot % SPIN_VERSIONS.length] as string;
        const res = await run("a", "sec_spin", "spin", {}, version);
        const code = res.body.error?.code ?? "ok";
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
        if (code === "RateLimited") {
          rateLimitedMessage = res.body.error?.message ?? "";
          expect(res.status).toBe(429);
          // A polite pause: the flood generator shares this process with the server.
          await new Promise((r) => setTimeout(r, 25));
        }
      }
    };
    // More callers than A may run and queue together, so A always has a full line.
    const workers = Array.from({ length: TENANT_MAX_CONCURRENT + TENANT_MAX_QUEUED + 4 }, (_, i) => floodWorker(i));
    await new Promise((r) => setTimeout(r, 500));
    const flooded = summarise(await measureB(MEASURE_MS));
    flooding = false;
    await Promise.all(workers);

    const figures = (label: string, s: LatencySummary): string => `${label}: n=${s.count} p50=${s.p50} ms p99=${s.p99} ms max=${s.max} ms`;
    console.log(
      [
        "tenant isolation under load (B: sequential trivial RunPluginTool calls over HTTP; A: CPU loops, tenant_max_concurrent " +
          `${TENANT_MAX_CONCURRENT}, tenant_max_queued ${TENANT_MAX_QUEUED}, sandbox.timeout_ms 1500, 2 sandbox processes)`,
        figures("  B without flood", quiet),
        figures("  B during flood ", flooded),
        `  A's outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`,
      ].join("\n"),
    );

    // SPEC §10 asks p99 ≤ 250 ms on the benchmark machine; a test only guards against starvation.
    expect(flooded.p99).toBeLessThan(1000);
    expect(outcomes.get("ToolTimeout") ?? 0).toBeGreaterThan(0);
    expect(outcomes.get("RateLimited") ?? 0).toBeGreaterThan(0);
    expect(rateLimitedMessage).toMatch(new RegExp(`tenant ${TENANT_OF.a} has ${TENANT_MAX_CONCURRENT} calls running and ${TENANT_MAX_QUEUED} waiting`));
    // Nothing but timeouts and rate limits: A's flood never turned into server failures.
    expect([...outcomes.keys()].sort()).toEqual(["RateLimited", "ToolTimeout"]);
    await server.calculatorWorks("b");
  }, 60_000);
});

describe("aftermath", () => {
  it("every sandbox process is up and the server's memory came back", async () => {
    await server.sandboxUp();
    await server.calculatorWorks("a");
    expect(server.rss() - rssBefore).toBeLessThan(RSS_HEADROOM_BYTES);
  });
});
