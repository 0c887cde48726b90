// The Redis quota, usage and channel stores against the conformance suites, on the
// machine's real Redis under a key prefix of this run, removed afterwards; and their
// scripts surviving a SCRIPT FLUSH, on a private redis-server.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisKeys } from "../../../host/jobs/redis-keys.ts";
import { RedisChannelStore } from "../../../host/tenancy/redis-channel-store.ts";
import { RedisQuotaStore } from "../../../host/tenancy/redis-quota-store.ts";
import { RedisUsageStore } from "../../../host/tenancy/redis-usage-store.ts";
import { limitsOf } from "../../../host/tenancy/tenancy-config.ts";
import { RedisServerProcess } from "../jobs/redis-server-process.ts";
import { deleteKeys, TEST_REDIS_PORT, uniquePrefix } from "../jobs/redis-test-env.ts";
import { channelStoreConformance, quotaStoreConformance, usageStoreConformance } from "./tenancy-store-conformance.ts";

const prefix = uniquePrefix("tenancy");
const client = new Redis({ host: "127.0.0.1", port: TEST_REDIS_PORT, maxRetriesPerRequest: 1 });
const keys = new RedisKeys(prefix);

afterAll(async () => {
  await deleteKeys(prefix);
  client.disconnect();
});

quotaStoreConformance("redis", () => new RedisQuotaStore(client, keys));
usageStoreConformance("redis", () => new RedisUsageStore(client, keys, 86_400_000));
channelStoreConformance("redis", () => new RedisChannelStore(client, keys));

describe("after Redis forgets its scripts (SCRIPT FLUSH, or a restart)", () => {
  let server: RedisServerProcess;
  let own: Redis;
  beforeAll(async () => {
    server = await RedisServerProcess.start();
    own = new Redis({ host: "127.0.0.1", port: server.port, maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    own?.disconnect();
    await server?.stop();
  });

  it("admits, settles and rolls back as before: each script is sent again whole", async () => {
    const ownKeys = new RedisKeys(uniquePrefix("noscript"));
    const quotas = new RedisQuotaStore(own, ownKeys);
    const channels = new RedisChannelStore(own, ownKeys);
    const limits = limitsOf({ calls: { limit: 1, window: { text: "1h", ms: 3_600_000 } }, concurrent: 1 });
    const now = Date.now();
    await own.script("FLUSH");
    expect((await quotas.admit({ tenant: "t", limits, callId: "a", now, leaseMs: 60_000 })).admitted).toBe(true);
    await own.script("FLUSH");
    await quotas.settle({ tenant: "t", limits, callId: "a", now, amounts: { cpu_ms: 1, egress_requests: 0, egress_bytes: 0 } });
    expect(await quotas.admit({ tenant: "t", limits, callId: "b", now, leaseMs: 60_000 })).toMatchObject({ admitted: false, quota: "calls" });
    await own.script("FLUSH");
    expect(await channels.rollback("pkg", "stable", { mayUnset: false })).toEqual({ kind: "none" });
    expect(await channels.recordOutcome("pkg", "stable", "id", 10_000, true, now)).toEqual({ calls: 1, errors: 1 });
  });
});
