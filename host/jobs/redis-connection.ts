// Connects to the configured Redis (SPEC §7 `redis`): `single` is one server,
// `sentinel` asks the sentinels in `host` for `master_name`, `cluster` starts from
// the seeds in `host`. Keys are prefixed by hand (not by ioredis' keyPrefix, which
// bee-queue's scripts and pub/sub channels would not see consistently).
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { z } from "zod";
import type { RedisConfigSchema } from "../config/config-schema.ts";

export type RedisConfig = z.output<typeof RedisConfigSchema>;
export type RedisClient = Redis | Cluster;

export interface RedisHost {
  host: string;
  port: number;
}

export interface ConnectionRole {
  /** Shown in CLIENT LIST, e.g. `hiagent:api`. */
  name: string;
  /**
   * How many reconnects a command waits through before it fails. API nodes fail fast
   * (`QueueUnavailable`); workers pass null and wait for Redis to come back.
   */
  maxRetriesPerRequest: number | null;
}

export type RedisConnectionPlan =
  | { kind: "single"; options: RedisOptions }
  | { kind: "sentinel"; options: RedisOptions }
  | { kind: "cluster"; nodes: RedisHost[]; options: NonNullable<ConstructorParameters<typeof Cluster<"legacy">>[1]> };

/** "h1:p1,h2:p2" (or "[::1]:7000") → hosts; an entry without a port takes `defaultPort`. */
export function parseRedisHosts(host: string, defaultPort: number): RedisHost[] {
  return host
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
      if (bracketed) return { host: bracketed[1] ?? "", port: bracketed[2] === undefined ? defaultPort : Number(bracketed[2]) };
      const colon = entry.lastIndexOf(":");
      // A bare IPv6 address has several colons and no port.
      if (colon < 0 || entry.indexOf(":") !== colon) return { host: entry, port: defaultPort };
      return { host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
    });
}

/**
 * The key prefix. bee-queue runs Lua over several keys, which a Redis Cluster allows
 * only within one hash slot: with `cluster`, a prefix without a hash tag is wrapped
 * in one (`hiagent` → `{hiagent}`), so every key of a deployment shares a slot.
 */
export function redisKeyPrefix(config: RedisConfig): string {
  if (config.cluster_type !== "cluster" || /\{[^}]+\}/.test(config.prefix)) return config.prefix;
  return `{${config.prefix}}`;
}

function reconnectDelay(times: number): number {
  return Math.min(100 * times, 1000);
}

export function planRedisConnection(config: RedisConfig, role: ConnectionRole): RedisConnectionPlan {
  const auth = {
    ...(config.username === "" ? {} : { username: config.username }),
    ...(config.password === "" ? {} : { password: config.password }),
  };
  const tls = config.ssl ? { tls: {} } : {};
  const common = { connectionName: role.name, maxRetriesPerRequest: role.maxRetriesPerRequest, ...auth, ...tls };
  switch (config.cluster_type) {
    case "single": {
      const [first] = parseRedisHosts(config.host, config.port);
      return { kind: "single", options: { host: first?.host ?? "localhost", port: first?.port ?? config.port, db: config.db, retryStrategy: reconnectDelay, ...common } };
    }
    case "sentinel":
      return {
        kind: "sentinel",
        options: {
          sentinels: parseRedisHosts(config.host, config.port),
          name: config.master_name,
          db: config.db,
          sentinelRetryStrategy: reconnectDelay,
          retryStrategy: reconnectDelay,
          ...(config.password === "" ? {} : { sentinelPassword: config.password }),
          ...(config.ssl ? { enableTLSForSentinelMode: true } : {}),
          ...common,
        },
      };
    case "cluster":
      // A cluster has only database 0; `db` does not apply.
      return {
        kind: "cluster",
        nodes: parseRedisHosts(config.host, config.port),
        options: {
          clusterRetryStrategy: reconnectDelay,
          enableOfflineQueue: true,
          redisOptions: { connectionName: role.name, maxRetriesPerRequest: role.maxRetriesPerRequest, ...auth, ...tls },
        },
      };
  }
}

export function connectRedis(config: RedisConfig, role: ConnectionRole): RedisClient {
  const plan = planRedisConnection(config, role);
  const client = plan.kind === "cluster" ? new Cluster(plan.nodes, plan.options) : new Redis(plan.options);
  // Connection errors are followed by reconnects and surface as failed commands; callers
  // that want them logged add their own listener. Without any, ioredis prints each one.
  client.on("error", () => undefined);
  return client;
}

/** Closes a connection: QUIT when connected, else just drop it (QUIT would wait for a Redis that is away). */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === "ready") await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}

/** Waits for the first connection; a clear startup error instead of commands hanging. */
export async function awaitRedisReady(client: RedisClient, timeoutMs: number, where: string): Promise<void> {
  if (client.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`redis at ${where} is not reachable (no connection within ${timeoutMs} ms)`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off("ready", onReady);
    };
    client.on("ready", onReady);
  });
}

export function describeRedis(config: RedisConfig): string {
  return `${config.cluster_type} ${config.host}${config.cluster_type === "single" && !config.host.includes(":") ? `:${config.port}` : ""}`;
}
