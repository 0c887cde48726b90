// How `redis.cluster_type` and the other redis keys map onto ioredis options.
import { describe, expect, it } from "vitest";
import { RedisConfigSchema } from "../../../host/config/config-schema.ts";
import { parseRedisHosts, planRedisConnection, redisKeyPrefix } from "../../../host/jobs/redis-connection.ts";

const role = { name: "hiagent:test", maxRetriesPerRequest: 2 };
const config = (raw: object) => RedisConfigSchema.parse(raw);

describe("redis connection options", () => {
  it("single: one server, db, password, username and TLS", () => {
    const plan = planRedisConnection(config({ host: "redis.internal", port: 6380, db: 3, password: "pw", username: "u", ssl: true }), role);
    expect(plan.kind).toBe("single");
    expect(plan.options).toMatchObject({ host: "redis.internal", port: 6380, db: 3, password: "pw", username: "u", tls: {}, connectionName: "hiagent:test", maxRetriesPerRequest: 2 });
  });

  it("single: no password, username or TLS unless configured", () => {
    const plan = planRedisConnection(config({}), role);
    expect(plan.options).toMatchObject({ host: "localhost", port: 6379, db: 0 });
    expect(plan.options).not.toHaveProperty("password");
    expect(plan.options).not.toHaveProperty("username");
    expect(plan.options).not.toHaveProperty("tls");
  });

  it("sentinel: the sentinels from host, the master by name", () => {
    const plan = planRedisConnection(config({ cluster_type: "sentinel", host: "s1:26379,s2:26380,s3", port: 26381, master_name: "mymaster", password: "pw", db: 1 }), role);
    expect(plan.kind).toBe("sentinel");
    expect(plan.options).toMatchObject({
      sentinels: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 26380 },
        { host: "s3", port: 26381 },
      ],
      name: "mymaster",
      db: 1,
      password: "pw",
      sentinelPassword: "pw",
    });
  });

  it("cluster: seeds from host, auth in the per-node options", () => {
    const plan = planRedisConnection(config({ cluster_type: "cluster", host: "10.0.0.1:7000,10.0.0.2:7001", password: "pw", ssl: true }), role);
    expect(plan.kind).toBe("cluster");
    if (plan.kind !== "cluster") return;
    expect(plan.nodes).toEqual([
      { host: "10.0.0.1", port: 7000 },
      { host: "10.0.0.2", port: 7001 },
    ]);
    expect(plan.options.redisOptions).toMatchObject({ password: "pw", tls: {}, connectionName: "hiagent:test" });
  });

  it("parses host lists, IPv6 included", () => {
    expect(parseRedisHosts("a:1, b ,[::1]:7000,::1", 6379)).toEqual([
      { host: "a", port: 1 },
      { host: "b", port: 6379 },
      { host: "::1", port: 7000 },
      { host: "::1", port: 6379 },
    ]);
  });

  it("gives cluster prefixes a hash tag, so bee-queue's multi-key scripts stay in one slot", () => {
    expect(redisKeyPrefix(config({ cluster_type: "cluster", prefix: "hiagent" }))).toBe("{hiagent}");
    expect(redisKeyPrefix(config({ cluster_type: "cluster", prefix: "{tenant-a}:hiagent" }))).toBe("{tenant-a}:hiagent");
    expect(redisKeyPrefix(config({ cluster_type: "single", prefix: "hiagent" }))).toBe("hiagent");
  });
});
