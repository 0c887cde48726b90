// Quota counters in Redis: one Lua script admits a call (every check, then the count and
// the lease, atomically), another charges its receipt when it ends. Exact across any
// number of API nodes; no read-modify-write ever leaves Redis.
import type { RedisClient } from "../jobs/redis-connection.ts";
import type { RedisKeys } from "../jobs/redis-keys.ts";
import { script } from "../jobs/redis-scripts.ts";
import { POST_PAID, type CounterLimit } from "./tenancy-config.ts";
import type { AdmitRequest, Admission, QuotaStore, SettleRequest } from "./quota-store.ts";

export class RedisQuotaStore implements QuotaStore {
  readonly #client: RedisClient;
  readonly #keys: RedisKeys;

  constructor(client: RedisClient, keys: RedisKeys) {
    this.#client = client;
    this.#keys = keys;
  }

  async admit(req: AdmitRequest): Promise<Admission> {
    const { tenant, limits } = req;
    const counters = limits.counters;
    const keys = counters.map((c) => this.#keys.quota(tenant, c.name, c.windowMs));
    if (limits.concurrent !== undefined) keys.push(this.#keys.quotaLeases(tenant));
    const args: (string | number)[] = [req.now, req.callId, req.leaseMs, counters.length, limits.concurrent ?? 0];
    for (const c of counters) args.push(c.windowMs, c.limit, POST_PAID.has(c.name) ? 0 : 1);
    const reply = (await script("quota-admit").run(this.#client, keys, args)) as number[];
    const [index = 0, retryAfterMs = 0] = reply;
    if (index === 0) return { admitted: true };
    const refused: CounterLimit | undefined = counters[index - 1];
    if (refused === undefined) return { admitted: false, quota: "concurrent", limit: limits.concurrent ?? 0, retryAfterMs };
    return { admitted: false, quota: refused.name, limit: refused.limit, retryAfterMs };
  }

  async settle(req: SettleRequest): Promise<void> {
    const { tenant, limits } = req;
    const postPaid = limits.counters.filter((c) => POST_PAID.has(c.name));
    const release = limits.concurrent !== undefined;
    if (postPaid.length === 0 && !release) return;
    const keys = postPaid.map((c) => this.#keys.quota(tenant, c.name, c.windowMs));
    if (release) keys.push(this.#keys.quotaLeases(tenant));
    const args: (string | number)[] = [req.now, req.callId, postPaid.length, release ? "1" : "0"];
    for (const c of postPaid) args.push(c.windowMs, c.name === "calls" ? 0 : req.amounts[c.name]);
    await script("quota-settle").run(this.#client, keys, args);
  }
}
