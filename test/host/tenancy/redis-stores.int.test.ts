// The Redis quota, usage and channel stores against the conformance suites, on the
// machine's real Redis under a key prefix of this run, removed afterwards.
import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { RedisKeys } from "../../../host/jobs/redis-keys.ts";
import { RedisChannelStore } from "../../../host/tenancy/redis-channel-store.ts";
import { RedisQuotaStore } from "../../../host/tenancy/redis-quota-store.ts";
import { RedisUsageStore } from "../../../host/tenancy/redis-usage-store.ts";
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
