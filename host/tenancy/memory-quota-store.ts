// Quota counters in this process's memory: the single-node store (no Redis). Every
// admission is synchronous, so concurrent calls cannot interleave between the check
// and the count.
import { CONCURRENT_RETRY_MS, windowStart, type AdmitRequest, type Admission, type QuotaStore, type SettleRequest } from "./quota-store.ts";

interface Counter {
  start: number;
  value: number;
}

export class MemoryQuotaStore implements QuotaStore {
  readonly #counters = new Map<string, Counter>();
  /** Per tenant: call id → lease expiry. */
  readonly #leases = new Map<string, Map<string, number>>();

  admit(req: AdmitRequest): Promise<Admission> {
    const { tenant, limits, now } = req;
    for (const c of limits.counters) {
      const counter = this.#current(tenant, c.name, c.windowMs, windowStart(now, c.windowMs));
      if (counter.value >= c.limit) return Promise.resolve({ admitted: false, quota: c.name, limit: c.limit, retryAfterMs: counter.start + c.windowMs - now });
    }
    if (limits.concurrent !== undefined) {
      const leases = this.#leasesOf(tenant, now);
      if (leases.size >= limits.concurrent) {
        return Promise.resolve({ admitted: false, quota: "concurrent", limit: limits.concurrent, retryAfterMs: CONCURRENT_RETRY_MS });
      }
      leases.set(req.callId, now + req.leaseMs);
    }
    for (const c of limits.counters) {
      if (c.name === "calls") this.#current(tenant, c.name, c.windowMs, windowStart(now, c.windowMs)).value += 1;
    }
    return Promise.resolve({ admitted: true });
  }

  settle(req: SettleRequest): Promise<void> {
    const { tenant, limits, now } = req;
    for (const c of limits.counters) {
      if (c.name === "calls") continue;
      this.#current(tenant, c.name, c.windowMs, windowStart(now, c.windowMs)).value += req.amounts[c.name];
    }
    this.#leases.get(tenant)?.delete(req.callId);
    return Promise.resolve();
  }

  /** The counter of the window starting at `start`; an older window's counter starts over. */
  #current(tenant: string, name: string, windowMs: number, start: number): Counter {
    const key = `${tenant}\n${name}\n${windowMs}`;
    let counter = this.#counters.get(key);
    if (counter === undefined) {
      counter = { start, value: 0 };
      this.#counters.set(key, counter);
    } else if (counter.start < start) {
      counter.start = start;
      counter.value = 0;
    }
    return counter;
  }

  #leasesOf(tenant: string, now: number): Map<string, number> {
    let leases = this.#leases.get(tenant);
    if (leases === undefined) {
      leases = new Map();
      this.#leases.set(tenant, leases);
    }
    for (const [id, expires] of leases) if (expires <= now) leases.delete(id);
    return leases;
  }
}
