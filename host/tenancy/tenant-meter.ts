// Admission and accounting of tool calls per tenant: the runner asks `admit` before a
// call runs (QuotaExceeded when a quota says no, with the seconds to wait) and hands
// the receipt to `settle` when it ends, which charges the post-paid quotas, frees the
// call's concurrency lease and records the call's usage for GetUsage.
import { randomUUID } from "node:crypto";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { CallUsage } from "../../sandbox/sandbox-api.ts";
import type { Logger } from "../logging/logger.ts";
import type { Duration } from "./duration.ts";
import type { QuotaStore } from "./quota-store.ts";
import { tenantLimits, usageRetentionMs, type TenantLimits, type TenantsConfig } from "./tenancy-config.ts";
import { usageReport, type UsageReport } from "./usage-report.ts";
import { resolutionsFor, type Resolution, type UsageKey, type UsageStore } from "./usage-store.ts";

export interface TenantMeterOptions {
  tenants: TenantsConfig;
  quotas: QuotaStore;
  usage: UsageStore;
  /** How long a concurrency lease outlives a call that never reports back (a node that died). */
  leaseMs: number;
  logger: Pick<Logger, "warn">;
  now?: () => number;
}

/** An admitted call: what `settle` needs to close its account. */
export interface CallTicket {
  tenant: string;
  limits: TenantLimits;
  callId: string;
}

const formatLimit = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(3));

export class TenantMeter {
  readonly #options: TenantMeterOptions;
  readonly #now: () => number;
  readonly #resolutions: Resolution[];
  readonly #windows = new Map<string, string>();

  constructor(options: TenantMeterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#resolutions = resolutionsFor(usageRetentionMs(options.tenants));
    for (const [tenant, entry] of Object.entries(options.tenants)) {
      for (const [name, q] of Object.entries(entry.quotas)) if (typeof q === "object") this.#windows.set(`${tenant}\n${name}`, q.window.text);
    }
  }

  /** Admits a call of `tenant`, or throws `QuotaExceeded` naming the quota and when to retry. */
  async admit(tenant: string): Promise<CallTicket> {
    const limits = tenantLimits(this.#options.tenants, tenant);
    const ticket = { tenant, limits, callId: randomUUID() };
    if (limits.counters.length === 0 && limits.concurrent === undefined) return ticket;
    const admission = await this.#options.quotas
      .admit({ tenant, limits, callId: ticket.callId, now: this.#now(), leaseMs: this.#options.leaseMs })
      .catch((err: unknown) => {
        throw new RuntimeError("QueueUnavailable", "the quota store is unavailable; try again", { cause: err });
      });
    if (admission.admitted) return ticket;
    const retry_after_s = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
    const owner = Object.hasOwn(this.#options.tenants, tenant) ? tenant : "default";
    const window = this.#windows.get(`${owner}\n${admission.quota}`);
    const what = admission.quota === "concurrent" ? `${formatLimit(admission.limit)} concurrent calls` : `${formatLimit(admission.limit)} ${admission.quota} per ${window ?? "window"}`;
    throw new RuntimeError("QuotaExceeded", `tenant ${tenant} is over its ${admission.quota} quota (${what}); retry in ${retry_after_s} s`, {
      data: { retry_after_s, quota: admission.quota, limit: admission.limit, ...(window === undefined ? {} : { window }) },
    });
  }

  /** Closes a call's account. Never throws: a call that ran is not failed for its bookkeeping. */
  async settle(ticket: CallTicket, key: UsageKey, usage: CallUsage | undefined): Promise<void> {
    const now = this.#now();
    const amounts = {
      cpu_ms: usage?.cpu_ms ?? 0,
      egress_requests: usage?.fetch_count ?? 0,
      egress_bytes: usage?.fetch_bytes ?? 0,
    };
    const { quotas, usage: usageStore, logger } = this.#options;
    const { limits } = ticket;
    const jobs: Promise<void>[] = [usageStore.record(ticket.tenant, key, { calls: 1, ...amounts }, now)];
    if (limits.counters.length > 0 || limits.concurrent !== undefined) jobs.push(quotas.settle({ tenant: ticket.tenant, limits, callId: ticket.callId, now, amounts }));
    const results = await Promise.allSettled(jobs);
    for (const r of results) if (r.status === "rejected") logger.warn({ err: r.reason as unknown, tenant: ticket.tenant }, "could not account a call's usage");
  }

  /** GetUsage's answer for `tenant` over `window`. */
  report(tenant: string, window: Duration): Promise<UsageReport> {
    return usageReport(this.#options.usage, this.#resolutions, tenant, window, this.#now());
  }
}
