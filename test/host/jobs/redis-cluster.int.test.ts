// `redis.cluster_type: cluster` for real: a three-master Redis Cluster on loopback,
// the job queue conformance suite run against it (bee-queue's multi-key Lua works
// because the prefix is hash-tagged into one slot), and a package lock on it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobsConfig } from "../../../host/config/index.ts";
import type { InstallRunner } from "../../../host/jobs/index.ts";
import { connectRedis, redisKeyPrefix } from "../../../host/jobs/redis-connection.ts";
import { RedisJobQueue } from "../../../host/jobs/redis-job-queue.ts";
import { RedisKeys } from "../../../host/jobs/redis-keys.ts";
import { NodeHeartbeat, newNodeId } from "../../../host/jobs/redis-node-heartbeat.ts";
import { RedisPackageLock } from "../../../host/jobs/redis-package-lock.ts";
import { InstallWorker } from "../../../host/worker/install-worker.ts";
import { describeJobQueueConformance } from "./job-queue-conformance.ts";
import { QueueWithWorker } from "./queue-with-worker.ts";
import { RedisClusterProcess } from "./redis-cluster-process.ts";
import { keysOn, redisConfig, TEST_REDIS_PORT, uniquePrefix } from "./redis-test-env.ts";

let cluster: RedisClusterProcess;
let queues = 0;
const prefixes: string[] = [];

beforeAll(async () => {
  cluster = await RedisClusterProcess.start();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  // Every key went to the cluster: none leaked to a default server.
  for (const prefix of prefixes) expect(await keysOn(TEST_REDIS_PORT, prefix)).toEqual([]);
});

function clusterConfig() {
  const config = redisConfig(`${uniquePrefix("cluster")}-${++queues}`, 0, { cluster_type: "cluster", host: cluster.seeds });
  prefixes.push(redisKeyPrefix(config));
  return config;
}


describeJobQueueConformance("redis cluster + bee-queue", async (runner: InstallRunner, jobs: JobsConfig) => {
  const redis = clusterConfig();
  const worker = await InstallWorker.start({ redis, jobs, runner, nodeId: newNodeId("worker") });
  return new QueueWithWorker(await RedisJobQueue.connect({ redis, jobs }), worker);
});

const keysOf = (redis: ReturnType<typeof clusterConfig>) => new RedisKeys(redisKeyPrefix(redis));
/** The hash tag a key is placed by (the whole key when it has none). */
const slotOf = (key: string) => /\{([^}]+)\}/.exec(key)?.[1] ?? key;

describe("package locks on a Redis cluster", () => {
  it("keeps every key of a deployment in one hash slot and fences a second holder", async () => {
    const redis = clusterConfig();
    const slots = new Set([keysOf(redis).job("x"), keysOf(redis).beeQueueKey("waiting"), keysOf(redis).lock("calc", "1.0.0"), keysOf(redis).nodes].map(slotOf));
    expect(slots.size).toBe(1);
    expect(redisKeyPrefix(redis)).toMatch(/^\{.+\}$/);
    const client = connectRedis(redis, { name: "test", maxRetriesPerRequest: 2 });
    const keys = new RedisKeys(redisKeyPrefix(redis));
    const heartbeat = new NodeHeartbeat(client, keys, newNodeId("worker"));
    await heartbeat.start();
    const lock = new RedisPackageLock(client, keys, heartbeat.id, { waitMs: 300, pollMs: 20 });
    const lease = await lock.acquire("calc", "1.0.0");
    await expect(lock.acquire("calc", "1.0.0")).rejects.toMatchObject({ code: "Internal" });
    await lease.release();
    const next = await lock.acquire("calc", "1.0.0");
    expect(next.fence).toBe(lease.fence + 1);
    await next.release();
    await heartbeat.stop();
    await client.quit();
  });
});
