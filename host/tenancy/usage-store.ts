// Where per-call usage is kept for GetUsage: counters per tenant, time slot, package
// version and tool. Slots come in three resolutions (1 s, 1 min, 1 h) so that any window
// up to the retention is read from at most 1440 slots: a call is added to one slot of
// each. Slots expire on their own; the coarsest lives as long as the retention (the
// longest quota window configured, at least a day).

export interface UsageKey {
  pkg: string;
  version: string;
  plugin: string;
  tool: string;
}

export interface UsageAmounts {
  calls: number;
  cpu_ms: number;
  egress_requests: number;
  egress_bytes: number;
}

export const USAGE_METRICS = ["calls", "cpu_ms", "egress_requests", "egress_bytes"] as const;

export interface UsageRow {
  key: UsageKey;
  amounts: UsageAmounts;
}

export interface UsageSlot {
  start: number;
  rows: UsageRow[];
}

export interface Resolution {
  ms: number;
  /** How long a slot of this resolution is kept. */
  keepMs: number;
}

/** Windows up to this many slots are read at a resolution. */
export const MAX_SLOTS = 1440;

export function resolutionsFor(retentionMs: number): Resolution[] {
  return [1000, 60_000, 3_600_000].map((ms) => ({ ms, keepMs: Math.min(retentionMs, ms * MAX_SLOTS) }));
}

export interface UsageStore {
  record(tenant: string, key: UsageKey, amounts: UsageAmounts, now: number): Promise<void>;
  /** The non-empty slots of `resolutionMs` starting in [since, until). */
  read(tenant: string, resolutionMs: number, since: number, until: number): Promise<UsageSlot[]>;
}

/** The part of a slot's field naming the package version and tool: JSON, since names may hold any character. */
export function usageKeyId(key: UsageKey): string {
  return JSON.stringify([key.pkg, key.version, key.plugin, key.tool]);
}

/** A slot's field: `{metric}:{usageKeyId}`. */
export function usageField(metric: string, keyId: string): string {
  return `${metric}:${keyId}`;
}

/** Folds a slot's fields back into rows; fields that do not parse are skipped. */
export function rowsOfFields(fields: Iterable<[string, number]>): UsageRow[] {
  const rows = new Map<string, UsageRow>();
  for (const [field, value] of fields) {
    const colon = field.indexOf(":");
    const metric = field.slice(0, colon);
    if (!(USAGE_METRICS as readonly string[]).includes(metric)) continue;
    const id = field.slice(colon + 1);
    let row = rows.get(id);
    if (row === undefined) {
      let parts: unknown;
      try {
        parts = JSON.parse(id);
      } catch {
        continue;
      }
      if (!Array.isArray(parts) || parts.length !== 4 || !parts.every((p) => typeof p === "string")) continue;
      const [pkg, version, plugin, tool] = parts as [string, string, string, string];
      row = { key: { pkg, version, plugin, tool }, amounts: { calls: 0, cpu_ms: 0, egress_requests: 0, egress_bytes: 0 } };
      rows.set(id, row);
    }
    row.amounts[metric as keyof UsageAmounts] += value;
  }
  return [...rows.values()];
}
