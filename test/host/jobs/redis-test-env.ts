// Redis for tests: the machine's server at 127.0.0.1:6379, a key prefix unique to the
// test run (so runs and other users share it safely), and cleanup of exactly the keys
// under that prefix. Never FLUSHALL.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { RedisConfigSchema } from "../../../host/config/config-schema.ts";
import type { RedisConfig } from "../../../host/jobs/redis-connection.ts";

export const TEST_REDIS_PORT = 6379;

/** A prefix no other run uses: `test-<uuid>`. */
export function uniquePrefix(label: string): string {
  return `test-${label}-${randomUUID().slice(0, 8)}`;
}

export function redisConfig(prefix: string, port = TEST_REDIS_PORT, extra: Partial<RedisConfig> = {}): RedisConfig {
  return RedisConfigSchema.parse({ host: "127.0.0.1", port, prefix, ...extra });
}

/** Keys under `prefix` on the server at `port` (SCAN). */
export async function keysOn(port: number, prefix: string): Promise<string[]> {
  const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 1 });
  const found: string[] = [];
  try {
    await client.connect();
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      found.push(...keys);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
  return found.sort();
}

/** Deletes every key under `prefix` (SCAN, never KEYS or FLUSHALL). */
export async function deleteKeys(prefix: string, port = TEST_REDIS_PORT): Promise<number> {
  const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    await client.connect();
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) deleted += await client.del(...keys);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
  return deleted;
}
