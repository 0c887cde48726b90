// Package events over Redis pub/sub: a delete through any node reaches every other
// node in milliseconds. Messages sent while a node's connection is down are lost, so
// after every reconnect the node is told to resync (forget its cached packages).
import type { Redis } from "ioredis";
import type { Logger } from "../logging/logger.ts";
import { PackageEventSchema, type PackageEvent, type PackageEventHandlers, type PackageEvents } from "../package/package-events.ts";
import { closeRedis, type RedisClient } from "./redis-connection.ts";
import type { RedisKeys } from "./redis-keys.ts";

export class RedisPackageEvents implements PackageEvents {
  readonly #client: RedisClient;
  /** A connection of its own for SUBSCRIBE; null for a node that only sends (a worker). */
  readonly #subscriber: RedisClient | null;
  readonly #channel: string;
  readonly #origin: string;
  readonly #logger: Logger | undefined;

  constructor(options: { client: RedisClient; subscriber: RedisClient | null; keys: RedisKeys; origin: string; logger?: Logger }) {
    this.#client = options.client;
    this.#subscriber = options.subscriber;
    this.#channel = options.keys.channel("packages");
    this.#origin = options.origin;
    this.#logger = options.logger;
  }

  async send(event: Omit<PackageEvent, "origin">): Promise<void> {
    await this.#client.publish(this.#channel, JSON.stringify({ ...event, origin: this.#origin }));
  }

  async listen(handlers: PackageEventHandlers): Promise<void> {
    const subscriber = this.#subscriber;
    if (subscriber === null) throw new Error("this node only sends package events");
    let connectedBefore = subscriber.status === "ready";
    subscriber.on("message", (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      let parsed;
      try {
        parsed = PackageEventSchema.safeParse(JSON.parse(message));
      } catch {
        return;
      }
      if (parsed.success) handlers.onEvent(parsed.data);
      else this.#logger?.warn({ channel }, "ignored a malformed package event");
    });
    subscriber.on("ready", () => {
      if (connectedBefore) handlers.onResync();
      connectedBefore = true;
    });
    subscriber.on("error", (err: Error) => this.#logger?.debug({ err: err.message }, "package events: redis connection error"));
    await (subscriber as Redis).subscribe(this.#channel);
  }

  async close(): Promise<void> {
    if (this.#subscriber !== null) await closeRedis(this.#subscriber);
  }
}
