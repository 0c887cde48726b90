// Quotas, usage and channels across a deployment: two API nodes and a worker as real
// processes sharing one Redis. 64 concurrent calls split over both nodes are admitted
// exactly up to the tenant's limit; a short window resets; GetUsage on either node counts
// the calls of both; a channel set through one node is served by the other.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../../host/auth/index.ts";
import { TestCluster, until } from "./cluster-harness.ts";
import { writeGreeter } from "./cluster-packages.ts";
import type { NodeProcess } from "./node-process.ts";

const PKG = "greeter_q";
const BURST_LIMIT = 40;
const RESET_WINDOW_MS = 5000;
const minted = { operator: mintToken(), burst: mintToken(), reset: mintToken() };
const token = (who: keyof typeof minted): string => minted[who].token;

let cluster: TestCluster;
let a: NodeProcess;
let b: NodeProcess;

beforeAll(async () => {
  cluster = await TestCluster.start("tenancy", {
    config: {
      auth: {
        tokens: [
          { token_sha256: minted.operator.sha256, tenant: "operator", role: "admin" },
          { token_sha256: minted.burst.sha256, tenant: "burst", role: "invoke" },
          { token_sha256: minted.reset.sha256, tenant: "reset", role: "invoke" },
        ],
      },
      sandbox: { tenant_max_concurrent: 64, tenant_max_queued: 256 },
      tenants: {
        burst: { quotas: { calls: { limit: BURST_LIMIT, window: "1h" } } },
        reset: { quotas: { calls: { limit: 3, window: `${RESET_WINDOW_MS / 1000}s` } } },
      },
    },
  });
  [a, b] = await Promise.all([cluster.api("api-a"), cluster.api("api-b"), cluster.worker("worker-1")]);
  for (const version of ["1.0.0", "2.0.0"]) {
    const pkg = await writeGreeter(cluster.drops, PKG, version);
    expect((await a.call("InstallPackage", { uri: pkg.uri, filename: "g.zip" }, token("operator"))).status).toBe(200);
  }
}, 180_000);
afterAll(async () => {
  await cluster?.close();
}, 60_000);

const greet = (node: NodeProcess, who: "burst" | "reset" | "operator", version = "2.0.0") =>
  node.call<{ text: string; version: string }>("RunPluginTool", { pkg: PKG, version, plugin: "Greeter", tool: "greet", input: { who } }, token(who));

describe("quotas across two API nodes sharing Redis", () => {
  it("admits exactly the limit of 64 concurrent calls split over both nodes; the rest are QuotaExceeded with Retry-After", async () => {
    // Warm both nodes first (materialise the package), as operator: not the tenant under test.
    await Promise.all([greet(a, "operator"), greet(b, "operator")]);
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => greet(i % 2 === 0 ? a : b, "burst")));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    expect(ok).toHaveLength(BURST_LIMIT);
    expect(refused).toHaveLength(64 - BURST_LIMIT);
    for (const r of refused) {
      expect(r.error?.code).toBe("QuotaExceeded");
      const retry = (r.error?.data as { retry_after_s: number }).retry_after_s;
      expect(r.headers.get("retry-after")).toBe(String(retry));
    }
    // Both nodes served some of the admitted calls.
    expect(new Set(results.map((r, i) => (r.status === 200 ? i % 2 : -1)).filter((n) => n >= 0))).toEqual(new Set([0, 1]));

    // GetUsage on either node counts the calls of both.
    for (const node of [a, b]) {
      const usage = await node.call<{ totals: { calls: number }; packages: { version: string; calls: number }[] }>("GetUsage", { window: "1h" }, token("burst"));
      expect(usage.status).toBe(200);
      expect(usage.data.totals.calls).toBe(BURST_LIMIT);
      expect(usage.data.packages).toEqual([expect.objectContaining({ version: "2.0.0", calls: BURST_LIMIT })]);
    }
  });

  it("starts counting again when the window resets", async () => {
    // Start just after a window boundary, so the first three calls share one window.
    await sleep(RESET_WINDOW_MS - (Date.now() % RESET_WINDOW_MS) + 50);
    for (const node of [a, b, a]) expect((await greet(node, "reset")).status).toBe(200);
    const refused = await greet(b, "reset");
    expect(refused.status).toBe(429);
    const retry = (refused.error?.data as { retry_after_s: number }).retry_after_s;
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(RESET_WINDOW_MS / 1000);
    await sleep(RESET_WINDOW_MS - (Date.now() % RESET_WINDOW_MS) + 50);
    expect((await greet(a, "reset")).status).toBe(200);
    expect((await greet(b, "reset")).status).toBe(200);
  });
});

describe("channels across two API nodes", () => {
  it("serves on node B the assignment set through node A, and rolls back through B for both", async () => {
    const served = (node: NodeProcess) => greet(node, "operator", "stable").then((r) => r.data?.version);
    expect((await a.call("SetChannel", { pkg: PKG, channel: "stable", versions: [{ version: "1.0.0", weight: 100 }] }, token("operator"))).status).toBe(200);
    await until(() => served(b), (v) => v === "1.0.0", "node B to serve stable = 1.0.0", 5000);
    expect((await a.call("SetChannel", { pkg: PKG, channel: "stable", versions: [{ version: "2.0.0", weight: 100 }] }, token("operator"))).status).toBe(200);
    await until(() => served(b), (v) => v === "2.0.0", "node B to serve stable = 2.0.0", 5000);
    expect((await b.call("RollbackChannel", { pkg: PKG, channel: "stable" }, token("operator"))).status).toBe(200);
    expect(await served(b)).toBe("1.0.0");
    await until(() => served(a), (v) => v === "1.0.0", "node A to serve the rolled-back stable", 5000);
  });
});
