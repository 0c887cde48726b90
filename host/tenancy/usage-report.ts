// GetUsage's answer: one tenant's calls, CPU ms and egress over a window, in total, per
// package version and tool, and as a series of equal buckets (60, or fewer for windows
// shorter than 60 slots). The window is read at the finest resolution that covers it in
// at most 1440 slots, and ends with the slot now is in.
import { RuntimeError } from "../../sandbox/errors.ts";
import type { Duration } from "./duration.ts";
import { MAX_SLOTS, USAGE_METRICS, type Resolution, type UsageAmounts, type UsageStore } from "./usage-store.ts";

export const SERIES_BUCKETS = 60;

export interface ToolUsage extends UsageAmounts {
  plugin: string;
  tool: string;
}

export interface PackageUsage extends UsageAmounts {
  pkg: string;
  version: string;
  tools: ToolUsage[];
}

export interface UsageReport {
  window: string;
  since: string;
  until: string;
  tenant: string;
  totals: UsageAmounts;
  packages: PackageUsage[];
  series: { start: string; calls: number; cpu_ms: number }[];
}

const zero = (): UsageAmounts => ({ calls: 0, cpu_ms: 0, egress_requests: 0, egress_bytes: 0 });

function add(into: UsageAmounts, amounts: UsageAmounts): void {
  for (const m of USAGE_METRICS) into[m] += amounts[m];
}

function rounded<T extends UsageAmounts>(a: T): T {
  return { ...a, cpu_ms: Math.round(a.cpu_ms * 1000) / 1000 };
}

export function resolutionFor(resolutions: readonly Resolution[], windowMs: number): Resolution {
  const found = resolutions.find((r) => windowMs / r.ms <= MAX_SLOTS && r.keepMs >= windowMs);
  if (found === undefined) {
    const keep = Math.max(...resolutions.map((r) => r.keepMs));
    throw new RuntimeError("InvalidRequest", `invalid request: body.window: usage is kept for ${keep / 3_600_000} h; ask for a shorter window`, {
      data: { issues: [{ path: ["window"], code: "too_big", message: "longer than usage is kept" }] },
    });
  }
  return found;
}

export async function usageReport(store: UsageStore, resolutions: readonly Resolution[], tenant: string, window: Duration, now: number): Promise<UsageReport> {
  const r = resolutionFor(resolutions, window.ms);
  const slots = Math.ceil(window.ms / r.ms);
  const span = Math.ceil(slots / SERIES_BUCKETS) * r.ms;
  const buckets = Math.ceil((slots * r.ms) / span);
  const until = now - (now % r.ms) + r.ms;
  const since = until - buckets * span;

  const totals = zero();
  const series = Array.from({ length: buckets }, (_, i) => ({ start: since + i * span, calls: 0, cpu_ms: 0 }));
  const packages = new Map<string, PackageUsage>();
  const tools = new Map<string, ToolUsage>();
  for (const slot of await store.read(tenant, r.ms, since, until)) {
    const bucket = series[Math.floor((slot.start - since) / span)];
    for (const { key, amounts } of slot.rows) {
      add(totals, amounts);
      if (bucket !== undefined) {
        bucket.calls += amounts.calls;
        bucket.cpu_ms += amounts.cpu_ms;
      }
      const pkgId = JSON.stringify([key.pkg, key.version]);
      let pkg = packages.get(pkgId);
      if (pkg === undefined) {
        pkg = { pkg: key.pkg, version: key.version, ...zero(), tools: [] };
        packages.set(pkgId, pkg);
      }
      add(pkg, amounts);
      const toolId = JSON.stringify([key.pkg, key.version, key.plugin, key.tool]);
      let tool = tools.get(toolId);
      if (tool === undefined) {
        tool = { plugin: key.plugin, tool: key.tool, ...zero() };
        tools.set(toolId, tool);
        pkg.tools.push(tool);
      }
      add(tool, amounts);
    }
  }
  const byName = (a: { pkg: string; version: string }, b: { pkg: string; version: string }): number => a.pkg.localeCompare(b.pkg) || a.version.localeCompare(b.version);
  return {
    window: window.text,
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    tenant,
    totals: rounded(totals),
    packages: [...packages.values()].sort(byName).map((p) => ({
      ...rounded(p),
      tools: p.tools.map(rounded).sort((a, b) => a.plugin.localeCompare(b.plugin) || a.tool.localeCompare(b.tool)),
    })),
    series: series.map((b) => ({ start: new Date(b.start).toISOString(), calls: b.calls, cpu_ms: Math.round(b.cpu_ms * 1000) / 1000 })),
  };
}
