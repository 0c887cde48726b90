// Usage slots in Redis, shared by every node: a call adds its amounts to one hash per
// resolution in a single MULTI (HINCRBYFLOAT per metric), each hash expiring with its
// resolution's keep time. Reads fetch a window's slots in one pipeline.
import type { RedisClient } from "../jobs/redis-connection.ts";
import type { RedisKeys } from "../jobs/redis-keys.ts";
import { resolutionsFor, rowsOfFields, USAGE_METRICS, usageField, usageKeyId, type Resolution, type UsageAmounts, type UsageKey, type UsageSlot, type UsageStore } from "./usage-store.ts";

export class RedisUsageStore implements UsageStore {
  readonly #client: RedisClient;
  readonly #keys: RedisKeys;
  readonly #resolutions: Resolution[];

  constructor(client: RedisClient, keys: RedisKeys, retentionMs: number) {
    this.#client = client;
    this.#keys = keys;
    this.#resolutions = resolutionsFor(retentionMs);
  }

  async record(tenant: string, key: UsageKey, amounts: UsageAmounts, now: number): Promise<void> {
    const multi = this.#client.multi();
    const id = usageKeyId(key);
    for (const r of this.#resolutions) {
      const start = now - (now % r.ms);
      const slot = this.#keys.usage(tenant, r.ms, start);
      for (const metric of USAGE_METRICS) {
        if (amounts[metric] !== 0) multi.hincrbyfloat(slot, usageField(metric, id), amounts[metric]);
      }
      multi.pexpireat(slot, start + r.ms + r.keepMs);
    }
    await multi.exec();
  }

  async read(tenant: string, resolutionMs: number, since: number, until: number): Promise<UsageSlot[]> {
    const starts: number[] = [];
    for (let start = since - (since % resolutionMs); start < until; start += resolutionMs) if (start >= since) starts.push(start);
    if (starts.length === 0) return [];
    const pipeline = this.#client.pipeline();
    for (const start of starts) pipeline.hgetall(this.#keys.usage(tenant, resolutionMs, start));
    const replies = (await pipeline.exec()) ?? [];
    const slots: UsageSlot[] = [];
    replies.forEach(([err, value], i) => {
      if (err !== null || typeof value !== "object" || value === null) return;
      const entries = Object.entries(value as Record<string, string>).map(([f, v]): [string, number] => [f, Number(v)]);
      const start = starts[i];
      if (entries.length > 0 && start !== undefined) slots.push({ start, rows: rowsOfFields(entries) });
    });
    return slots;
  }
}
