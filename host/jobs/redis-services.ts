// What an API node needs of Redis, connected in one place: the install queue (which
// only enqueues), this node's heartbeat, the package locks, the package events and the
// stored plugin configs.
import type { JobsConfig } from "../config/index.ts";
import type { Logger } from "../logging/logger.ts";
import { awaitRedisReady, closeRedis, connectRedis, describeRedis, type RedisClient, type RedisConfig } from "./redis-connection.ts";
import type { RedisKeys } from "./redis-keys.ts";
import { RedisJobQueue } from "./redis-job-queue.ts";
import { NodeHeartbeat, newNodeId } from "./redis-node-heartbeat.ts";
import { RedisPackageEvents } from "./redis-package-events.ts";
import { RedisPackageLock } from "./redis-package-lock.ts";
import { RedisPluginConfigStore } from "./redis-plugin-config-store.ts";

export interface RedisServices {
  nodeId: string;
  /** The node's command connection, for the other Redis-backed stores (quotas, usage, channels). */
  client: RedisClient;
  keys: RedisKeys;
  queue: RedisJobQueue;
  locks: RedisPackageLock;
  events: RedisPackageEvents;
  pluginConfigs: RedisPluginConfigStore;
}

/** Connects (failing fast when Redis is unreachable); every connection is closed through `closers`. */
export async function connectRedisServices(redis: RedisConfig, jobs: JobsConfig, logger: Logger, closers: (() => Promise<void>)[]): Promise<RedisServices> {
  const role = { name: "hiagent:api-packages", maxRetriesPerRequest: 2 };
  // One subscription connection for job and package events, so they arrive in the order sent.
  const subscriber = connectRedis(redis, { ...role, name: "hiagent:api-events" });
  const queue = await RedisJobQueue.connect({ redis, jobs, logger: logger.child({ component: "jobs" }), subscriber });
  closers.push(() => queue.close());
  const nodeId = newNodeId("api");
  const client = connectRedis(redis, role);
  client.on("error", (err: Error) => logger.debug({ err: err.message }, "packages: redis error"));
  closers.push(() => closeRedis(client));
  const events = new RedisPackageEvents({ client, subscriber, keys: queue.keys, origin: nodeId, logger });
  closers.push(() => events.close());
  await awaitRedisReady(client, 5000, describeRedis(redis));
  const heartbeat = new NodeHeartbeat(client, queue.keys, nodeId, logger);
  await heartbeat.start();
  closers.push(() => heartbeat.stop());
  return { nodeId, client, keys: queue.keys, queue, locks: new RedisPackageLock(client, queue.keys, nodeId), events, pluginConfigs: new RedisPluginConfigStore(client, queue.keys) };
}
