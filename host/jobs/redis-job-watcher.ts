// Lets an API node wait for install jobs to end: one subscription to the job-ended
// channel per node, plus a slow poll, because a pub/sub message sent while the
// connection was down is lost for good.
import type { Redis } from "ioredis";
import type { Logger } from "../logging/logger.ts";
import { closeRedis, type RedisClient } from "./redis-connection.ts";
import type { RedisKeys } from "./redis-keys.ts";

const POLL_MS = 1000;

type Check = () => void;

export class RedisJobWatcher {
  readonly #subscriber: RedisClient;
  readonly #channel: string;
  readonly #checks = new Map<string, Set<Check>>();
  #poll: NodeJS.Timeout | null = null;

  private constructor(subscriber: RedisClient, channel: string) {
    this.#subscriber = subscriber;
    this.#channel = channel;
  }

  /** Subscribes on `subscriber`, a connection of its own (a subscribed connection runs no other commands). */
  static async start(subscriber: RedisClient, keys: RedisKeys, logger?: Logger): Promise<RedisJobWatcher> {
    const watcher = new RedisJobWatcher(subscriber, keys.channel("job-ended"));
    subscriber.on("message", (channel: string, id: string) => {
      if (channel === watcher.#channel) watcher.#run(id);
    });
    // After a reconnect ioredis subscribes again; whatever ended meanwhile is caught up now.
    subscriber.on("ready", () => watcher.#runAll());
    subscriber.on("error", (err: Error) => logger?.debug({ err: err.message }, "job watcher: redis connection error"));
    await (subscriber as Redis).subscribe(watcher.#channel);
    return watcher;
  }

  /** Calls `check` whenever job `id` may have ended, until the returned function is called. */
  watch(id: string, check: Check): () => void {
    let checks = this.#checks.get(id);
    if (checks === undefined) {
      checks = new Set();
      this.#checks.set(id, checks);
    }
    checks.add(check);
    this.#poll ??= setInterval(() => this.#runAll(), POLL_MS).unref();
    return () => {
      checks.delete(check);
      if (checks.size === 0) this.#checks.delete(id);
      if (this.#checks.size === 0 && this.#poll !== null) {
        clearInterval(this.#poll);
        this.#poll = null;
      }
    };
  }

  async close(): Promise<void> {
    if (this.#poll !== null) clearInterval(this.#poll);
    this.#poll = null;
    this.#checks.clear();
    await closeRedis(this.#subscriber);
  }

  #run(id: string): void {
    for (const check of this.#checks.get(id) ?? []) check();
  }

  #runAll(): void {
    for (const id of [...this.#checks.keys()]) this.#run(id);
  }
}
