// The `tenants` config section: quotas per tenant (`default` for every tenant not
// listed). Counters over fixed windows (`calls`, `cpu_ms`, `egress_requests`,
// `egress_bytes`, each `{limit, window}`) and `concurrent`, the calls a tenant may have
// running at once across the deployment.
import { z } from "zod";
import { DurationSchema } from "./duration.ts";

export const COUNTERS = ["calls", "cpu_ms", "egress_requests", "egress_bytes"] as const;
export type CounterName = (typeof COUNTERS)[number];

/** Charged after the call, from its receipt (the others are charged on admission). */
export const POST_PAID: ReadonlySet<CounterName> = new Set(["cpu_ms", "egress_requests", "egress_bytes"]);

const QuotaLimitSchema = z.object({ limit: z.number().positive(), window: DurationSchema }).strict();

export const QuotasSchema = z
  .object({
    calls: QuotaLimitSchema.optional(),
    cpu_ms: QuotaLimitSchema.optional(),
    egress_requests: QuotaLimitSchema.optional(),
    egress_bytes: QuotaLimitSchema.optional(),
    concurrent: z.number().int().positive().optional(),
  })
  .strict();

export const TenantConfigSchema = z.object({ quotas: QuotasSchema.prefault({}) }).strict();

export const TenantsConfigSchema = z.record(z.string().min(1), TenantConfigSchema);

export type Quotas = z.output<typeof QuotasSchema>;
export type TenantsConfig = z.output<typeof TenantsConfigSchema>;

/** One counter's limit, as the stores take it. */
export interface CounterLimit {
  name: CounterName;
  limit: number;
  windowMs: number;
}

/** A tenant's quotas, flattened for the stores. */
export interface TenantLimits {
  counters: CounterLimit[];
  concurrent: number | undefined;
}

export const NO_LIMITS: TenantLimits = Object.freeze({ counters: [], concurrent: undefined });

export function limitsOf(quotas: Quotas): TenantLimits {
  const counters: CounterLimit[] = [];
  for (const name of COUNTERS) {
    const q = quotas[name];
    if (q !== undefined) counters.push({ name, limit: q.limit, windowMs: q.window.ms });
  }
  return { counters, concurrent: quotas.concurrent };
}

/** The limits of `tenant`: its own entry, else `default`'s, else none. */
export function tenantLimits(tenants: TenantsConfig, tenant: string): TenantLimits {
  const entry = Object.hasOwn(tenants, tenant) ? tenants[tenant] : tenants.default;
  return entry === undefined ? NO_LIMITS : limitsOf(entry.quotas);
}

const DAY_MS = 86_400_000;

/** How long usage is kept: the longest window configured, at least a day. */
export function usageRetentionMs(tenants: TenantsConfig): number {
  let longest = DAY_MS;
  for (const entry of Object.values(tenants)) {
    for (const name of COUNTERS) longest = Math.max(longest, entry.quotas[name]?.window.ms ?? 0);
  }
  return longest;
}
