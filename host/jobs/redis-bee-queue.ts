// Opens the bee-queue queue of install jobs on its own ioredis connection, with the
// answer to one of its hazards (SPEC §9.8): bee-queue loads its Lua scripts once and
// then runs them by SHA, so after a Redis restart every EVALSHA fails with NOSCRIPT
// for good. Its connection's `evalsha` falls back to sending the script whole.
import { readdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import BeeQueue from "bee-queue";
import { Redis } from "ioredis";
import { awaitRedisReady, connectRedis, describeRedis, type ConnectionRole, type RedisClient, type RedisConfig } from "./redis-connection.ts";
import { INSTALL_QUEUE, type RedisKeys } from "./redis-keys.ts";
import { isNoScriptError } from "./redis-scripts.ts";

/** What bee-queue jobs carry: only our job id; everything else is in our own record. */
export interface BeeJobData {
  job_id: string;
}

export type InstallBeeQueue = BeeQueue<BeeJobData>;

let beeScripts: Map<string, string> | null = null;

/** bee-queue's own scripts by SHA1, read from its package. */
function beeQueueScripts(): Map<string, string> {
  if (beeScripts !== null) return beeScripts;
  const luaDir = path.join(path.dirname(createRequire(import.meta.url).resolve("bee-queue")), "lib", "lua");
  beeScripts = new Map();
  for (const file of readdirSync(luaDir).filter((f) => f.endsWith(".lua"))) {
    const lua = readFileSync(path.join(luaDir, file), "utf8");
    beeScripts.set(createHash("sha1").update(lua).digest("hex"), lua);
  }
  return beeScripts;
}

const CONNECT_TIMEOUT_MS = 5000;

type Callback = (err: Error | null, result?: unknown) => void;
type EvalArgs = [string, number, ...(string | number)[]];

/** Makes `client.evalsha` (as bee-queue calls it, callback last) re-send a forgotten script by EVAL. */
export function recoverFromNoScript(client: RedisClient): void {
  const scripts = beeQueueScripts();
  const evalsha = client.evalsha.bind(client) as (...args: EvalArgs) => Promise<unknown>;
  const evalScript = client.eval.bind(client) as (...args: EvalArgs) => Promise<unknown>;
  const guarded = (...raw: unknown[]): Promise<unknown> => {
    const callback = typeof raw[raw.length - 1] === "function" ? (raw.pop() as Callback) : undefined;
    const [sha, ...rest] = raw as EvalArgs;
    const result = evalsha(sha, ...(rest as [number, ...(string | number)[]])).catch((err: unknown) => {
      const lua = scripts.get(sha);
      if (!isNoScriptError(err) || lua === undefined) throw err;
      return evalScript(lua, ...(rest as [number, ...(string | number)[]]));
    });
    if (callback !== undefined) result.then((value) => callback(null, value), (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
    return result;
  };
  Object.defineProperty(client, "evalsha", { value: guarded, configurable: true, writable: true });
}

export interface BeeQueueOptions {
  redis: RedisConfig;
  role: ConnectionRole;
  keys: RedisKeys;
  isWorker: boolean;
  /** How often a worker's active jobs must show signs of life before they count as stalled. */
  stallIntervalMs?: number;
}

/**
 * bee-queue uses a ready-made client only if `client.constructor.name` is "Redis";
 * anything else it takes for connection options, and then silently connects a
 * node-redis client to localhost:6379. ioredis 6 copies EventEmitter's prototype,
 * `constructor` included, onto its classes (and a Cluster is not named Redis anyway),
 * so the client is given the name bee-queue looks for. ioredis itself tells a cluster
 * by its `isCluster` flag, not by this name.
 */
export function presentToBeeQueue(client: RedisClient): void {
  Object.defineProperty(client, "constructor", { value: Redis, configurable: true, writable: true });
  if (client.constructor.name !== "Redis") throw new Error("bee-queue would not accept this Redis client");
}

/**
 * Connects, then opens the queue. bee-queue's own connect gives up for good on the
 * first connection error (and leaves that rejection unhandled), so the queue is made
 * only once its connection is ready.
 */
export async function openBeeQueue({ redis, role, keys, isWorker, stallIntervalMs }: BeeQueueOptions): Promise<InstallBeeQueue> {
  const client = connectRedis(redis, role);
  presentToBeeQueue(client);
  recoverFromNoScript(client);
  try {
    await awaitRedisReady(client, CONNECT_TIMEOUT_MS, describeRedis(redis));
  } catch (err) {
    client.disconnect();
    throw err;
  }
  const queue = new BeeQueue<BeeJobData>(INSTALL_QUEUE, {
    // bee-queue accepts a ready-made ioredis client (it only types node-redis ones).
    redis: client as unknown as NonNullable<BeeQueue.QueueSettings["redis"]>,
    quitCommandClient: true,
    prefix: keys.beeQueue,
    isWorker,
    // Our own records carry status and outcome; bee-queue only hands jobs out.
    getEvents: false,
    sendEvents: false,
    storeJobs: false,
    activateDelayedJobs: false,
    removeOnSuccess: true,
    removeOnFailure: true,
    ...(stallIntervalMs === undefined ? {} : { stallInterval: stallIntervalMs }),
  });
  await queue.ready();
  return queue;
}
