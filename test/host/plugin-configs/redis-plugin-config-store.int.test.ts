// The Redis store passes the conformance suite on the machine's Redis, under a key
// prefix unique to the run, with one hash per tenant.
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { RedisKeys } from "../../../host/jobs/redis-keys.ts";
import { RedisPluginConfigStore } from "../../../host/jobs/redis-plugin-config-store.ts";
import { deleteKeys, keysOn, TEST_REDIS_PORT, uniquePrefix } from "../jobs/redis-test-env.ts";
import { describePluginConfigStoreConformance } from "./plugin-config-store-conformance.ts";

const prefixes: string[] = [];
const clients: Redis[] = [];

function client(): Redis {
  const c = new Redis({ host: "127.0.0.1", port: TEST_REDIS_PORT, maxRetriesPerRequest: 1 });
  clients.push(c);
  return c;
}

afterAll(async () => {
  for (const c of clients) c.disconnect();
  for (const p of prefixes) await deleteKeys(p);
});

describePluginConfigStoreConformance("redis", async () => {
  const prefix = uniquePrefix("plugin-configs");
  prefixes.push(prefix);
  const keys = new RedisKeys(prefix);
  return {
    store: new RedisPluginConfigStore(client(), keys),
    reopen: async () => new RedisPluginConfigStore(client(), keys),
    cleanup: async () => void (await deleteKeys(prefix)),
  };
});

describe("RedisPluginConfigStore", () => {
  it("keeps one hash per tenant under the deployment's prefix", async () => {
    const prefix = uniquePrefix("plugin-configs");
    prefixes.push(prefix);
    const store = new RedisPluginConfigStore(client(), new RedisKeys(prefix));
    const record = { pkg: "p", plugin: "P", version: "1.0.0", redacted: {}, sealed: { key_id: "k", iv: "", tag: "", data: "" }, updated_at: "x" };
    await store.put("tenant-a", record);
    await store.put("tenant-b", record);
    expect(await keysOn(TEST_REDIS_PORT, prefix)).toEqual([`${prefix}:plugin-configs:tenant-a`, `${prefix}:plugin-configs:tenant-b`]);
  });
});
