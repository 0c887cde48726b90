// The in-memory quota, usage and channel stores (a single node without Redis) against the conformance suites.
import { describe, expect, it } from "vitest";
import { MemoryChannelStore, MemoryQuotaStore, MemoryUsageStore } from "../../../host/tenancy/index.ts";
import { channelStoreConformance, quotaStoreConformance, usageStoreConformance } from "./tenancy-store-conformance.ts";

quotaStoreConformance("memory", () => new MemoryQuotaStore());
usageStoreConformance("memory", () => new MemoryUsageStore(86_400_000));
channelStoreConformance("memory", () => new MemoryChannelStore());

describe("memory usage slots", () => {
  it("drop out after their resolution's keep time (1 s slots after 24 min), coarser ones stay", async () => {
    const store = new MemoryUsageStore(86_400_000);
    const t0 = Date.UTC(2026, 11, 8, 3, 0, 0);
    const key = { pkg: "p", version: "1.0.0", plugin: "P", tool: "t" };
    const one = { calls: 1, cpu_ms: 1, egress_requests: 0, egress_bytes: 0 };
    await store.record("acme", key, one, t0);
    expect(await store.read("acme", 1000, t0, t0 + 1000)).toHaveLength(1);
    await store.record("acme", key, one, t0 + 25 * 60_000);
    expect(await store.read("acme", 1000, t0, t0 + 1000)).toEqual([]);
    expect((await store.read("acme", 60_000, t0, t0 + 60_000))[0]?.rows[0]?.amounts.calls).toBe(1);
  });
});
