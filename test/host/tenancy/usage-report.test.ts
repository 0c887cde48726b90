// GetUsage's answer from the usage slots: totals, per package version and tool, and a
// series of equal buckets aligned to the resolution the window is read at.
import { describe, expect, it } from "vitest";
import { MemoryUsageStore } from "../../../host/tenancy/index.ts";
import { usageReport } from "../../../host/tenancy/usage-report.ts";
import { resolutionsFor } from "../../../host/tenancy/usage-store.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const resolutions = resolutionsFor(DAY);
/** Mid-hour, a little past a second boundary. */
const NOW = Date.UTC(2026, 11, 8, 3, 30, 0) + 250;
const key = (tool: string, version = "1.0.0") => ({ pkg: "greeter", version, plugin: "Greeter", tool });
const one = (cpu_ms: number) => ({ calls: 1, cpu_ms, egress_requests: 1, egress_bytes: 10 });

describe("usageReport", () => {
  it("sums per package version and tool, and spreads the calls over 60 one-minute buckets for 1h", async () => {
    const store = new MemoryUsageStore(DAY);
    await store.record("acme", key("greet"), one(1.5), NOW - 10 * 60_000);
    await store.record("acme", key("greet"), one(2), NOW - 10 * 60_000 + 5);
    await store.record("acme", key("wave"), one(1), NOW);
    await store.record("acme", key("greet", "2.0.0"), one(4), NOW - 2 * HOUR); // outside the window
    await store.record("other", key("greet"), one(9), NOW);
    const report = await usageReport(store, resolutions, "acme", { text: "1h", ms: HOUR }, NOW);
    expect(report).toMatchObject({
      window: "1h",
      tenant: "acme",
      until: new Date(Date.UTC(2026, 11, 8, 3, 31, 0)).toISOString(),
      since: new Date(Date.UTC(2026, 11, 8, 2, 31, 0)).toISOString(),
      totals: { calls: 3, cpu_ms: 4.5, egress_requests: 3, egress_bytes: 30 },
    });
    expect(report.packages).toEqual([
      {
        pkg: "greeter",
        version: "1.0.0",
        calls: 3,
        cpu_ms: 4.5,
        egress_requests: 3,
        egress_bytes: 30,
        tools: [
          { plugin: "Greeter", tool: "greet", calls: 2, cpu_ms: 3.5, egress_requests: 2, egress_bytes: 20 },
          { plugin: "Greeter", tool: "wave", calls: 1, cpu_ms: 1, egress_requests: 1, egress_bytes: 10 },
        ],
      },
    ]);
    expect(report.series).toHaveLength(60);
    expect(report.series[0]?.start).toBe(report.since);
    expect(report.series.map((b) => b.calls).filter((n) => n > 0)).toEqual([2, 1]);
    expect(report.series.at(-1)).toMatchObject({ calls: 1, cpu_ms: 1 });
    expect(report.series[49]).toMatchObject({ calls: 2, cpu_ms: 3.5 });
  });

  it("reads short windows by the second (fewer buckets under a minute) and a day by the minute", async () => {
    const store = new MemoryUsageStore(DAY);
    await store.record("acme", key("greet"), one(1), NOW - 3000);
    const short = await usageReport(store, resolutions, "acme", { text: "30s", ms: 30_000 }, NOW);
    expect(short.series).toHaveLength(30);
    expect(short.totals.calls).toBe(1);
    const day = await usageReport(store, resolutions, "acme", { text: "1d", ms: DAY }, NOW);
    expect(day.series).toHaveLength(60);
    expect(Date.parse(day.series[1]?.start ?? "") - Date.parse(day.series[0]?.start ?? "")).toBe(24 * 60_000);
    expect(day.totals.calls).toBe(1);
  });

  it("refuses a window longer than usage is kept", async () => {
    const store = new MemoryUsageStore(DAY);
    await expect(usageReport(store, resolutions, "acme", { text: "2d", ms: 2 * DAY }, NOW)).rejects.toMatchObject({ code: "InvalidRequest" });
  });
});
