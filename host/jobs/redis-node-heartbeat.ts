// Each process of a deployment (API node or worker) says it is alive once a second
// in one sorted set (member → last beat). Health counts the workers seen recently,
// and a package lock whose holder went silent is taken over without waiting for its TTL.
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { Logger } from "../logging/logger.ts";
import type { RedisClient } from "./redis-connection.ts";
import type { RedisKeys } from "./redis-keys.ts";

export const HEARTBEAT_MS = 1000;
/** A node silent for this long counts as gone. */
export const ALIVE_WINDOW_MS = 5000;
/** Members silent for this long are removed from the set. */
const FORGET_AFTER_MS = 10 * 60 * 1000;

export type NodeRole = "api" | "worker";

/** A process id unique across hosts and restarts, e.g. `worker:host-a:4242:1f2e3d4c`. */
export function newNodeId(role: NodeRole): string {
  return `${role}:${hostname().replace(/[^A-Za-z0-9_.-]/g, "_")}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export class NodeHeartbeat {
  readonly id: string;
  readonly #client: RedisClient;
  readonly #keys: RedisKeys;
  readonly #logger: Logger | undefined;
  #timer: NodeJS.Timeout | null = null;

  constructor(client: RedisClient, keys: RedisKeys, id: string, logger?: Logger) {
    this.#client = client;
    this.#keys = keys;
    this.id = id;
    this.#logger = logger;
  }

  /** Beats once (so locks taken right after know this node is alive), then every second. */
  async start(): Promise<void> {
    await this.#beat();
    this.#timer = setInterval(() => {
      this.#beat().catch((err: unknown) => this.#logger?.debug({ err: err instanceof Error ? err.message : String(err) }, "heartbeat failed"));
    }, HEARTBEAT_MS).unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    // Without a connection, the entry simply ages out; a command would wait for Redis.
    if (this.#client.status === "ready") await this.#client.zrem(this.#keys.nodes, this.id).catch(() => undefined);
  }

  async #beat(): Promise<void> {
    const now = Date.now();
    await this.#client
      .multi()
      .zadd(this.#keys.nodes, now, this.id)
      .zremrangebyscore(this.#keys.nodes, "-inf", now - FORGET_AFTER_MS)
      .exec();
  }
}

/** Ids of the nodes of `role` that beat within ALIVE_WINDOW_MS. */
export async function liveNodes(client: RedisClient, keys: RedisKeys, role: NodeRole): Promise<string[]> {
  const members = await client.zrangebyscore(keys.nodes, Date.now() - ALIVE_WINDOW_MS, "+inf");
  return members.filter((member) => member.startsWith(`${role}:`));
}
