// Where quota counters live: in memory on a single node, in Redis when the deployment
// shares one (so counts are exact across nodes). Both keep the same rules, checked by
// one conformance suite:
//
// - Counters count over fixed windows aligned to the epoch (a `1m` window resets on the
//   minute); the window a counter is in is stored with it, so a node whose clock lags
//   never rewinds it.
// - `calls` is pre-paid: admission counts the call, atomically with the check, so
//   concurrent calls never overshoot it.
// - `cpu_ms`, `egress_requests`, `egress_bytes` are post-paid: a call is admitted while
//   the counter is below its limit and charged from its receipt when it ends. The call
//   that crosses a limit completes; the calls after it are refused until the window
//   resets. A window can thus overshoot by what the calls in flight at that moment use.
// - `concurrent` holds a lease per running call, expiring on its own after `leaseMs`,
//   so a node that dies mid-call does not hold its tenant's slots for ever.
import type { CounterName, TenantLimits } from "./tenancy-config.ts";

export type Refusal = { quota: CounterName | "concurrent"; limit: number; retryAfterMs: number };

export type Admission = { admitted: true } | ({ admitted: false } & Refusal);

/** What a finished call costs, in the post-paid counters' units. */
export type PostPaidAmounts = Record<Exclude<CounterName, "calls">, number>;

export interface AdmitRequest {
  tenant: string;
  limits: TenantLimits;
  /** Unique per call: its concurrency lease. */
  callId: string;
  now: number;
  /** How long a concurrency lease lasts if never released. */
  leaseMs: number;
}

export interface SettleRequest {
  tenant: string;
  limits: TenantLimits;
  callId: string;
  now: number;
  amounts: PostPaidAmounts;
}

export interface QuotaStore {
  /** Checks every limit and, when all pass, counts the call and takes its lease, in one step. */
  admit(req: AdmitRequest): Promise<Admission>;
  /** Charges the post-paid counters and releases the call's lease. */
  settle(req: SettleRequest): Promise<void>;
}

/** The start of the fixed window `now` is in. */
export function windowStart(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

/** How long a refused concurrent call should wait before trying again. */
export const CONCURRENT_RETRY_MS = 1000;
