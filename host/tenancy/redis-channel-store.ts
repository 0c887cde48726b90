// Channel assignments in Redis, the same for every node: a list per channel (newest
// first, each entry `{id}\n{json}`) and a set of the package's channel names. A set is
// one MULTI; a rollback is one Lua script, so it pops exactly one assignment however
// many nodes ask at once. Nodes cache what they read for a moment (see VersionChannels).
import type { RedisClient } from "../jobs/redis-connection.ts";
import type { RedisKeys } from "../jobs/redis-keys.ts";
import { script } from "../jobs/redis-scripts.ts";
import type { Assignment } from "./channel-model.ts";
import { KEPT_ASSIGNMENTS, parseAssignment, type ChannelState, type ChannelStore, type RollbackResult } from "./channel-store.ts";

function entryOf(assignment: Assignment): string {
  return `${assignment.id}\n${JSON.stringify(assignment)}`;
}

function assignmentOf(entry: string | null | undefined): Assignment | null {
  if (entry === null || entry === undefined) return null;
  const newline = entry.indexOf("\n");
  return newline < 0 ? null : parseAssignment(entry.slice(newline + 1));
}

export class RedisChannelStore implements ChannelStore {
  readonly #client: RedisClient;
  readonly #keys: RedisKeys;

  constructor(client: RedisClient, keys: RedisKeys) {
    this.#client = client;
    this.#keys = keys;
  }

  async current(pkg: string, channel: string): Promise<Assignment | null> {
    return assignmentOf(await this.#client.lindex(this.#keys.versionChannel(pkg, channel), 0));
  }

  async list(pkg: string): Promise<ChannelState[]> {
    const names = (await this.#client.smembers(this.#keys.versionChannels(pkg))).sort();
    const states: ChannelState[] = [];
    for (const channel of names) {
      const [head, next] = await this.#client.lrange(this.#keys.versionChannel(pkg, channel), 0, 1);
      const current = assignmentOf(head);
      if (current !== null) states.push({ channel, current, previous: assignmentOf(next) });
    }
    return states;
  }

  async set(pkg: string, channel: string, assignment: Assignment): Promise<void> {
    const key = this.#keys.versionChannel(pkg, channel);
    await this.#client
      .multi()
      .lpush(key, entryOf(assignment))
      .ltrim(key, 0, KEPT_ASSIGNMENTS - 1)
      .sadd(this.#keys.versionChannels(pkg), channel)
      .exec();
  }

  async rollback(pkg: string, channel: string, options: { expectedId?: string; mayUnset: boolean }): Promise<RollbackResult> {
    const reply = (await script("channel-rollback").run(this.#client, [this.#keys.versionChannel(pkg, channel)], [options.expectedId ?? "", options.mayUnset ? "1" : "0"])) as string;
    if (reply === "none" || reply === "first" || reply === "stale") return { kind: reply };
    if (reply === "") return { kind: "unset" };
    const current = assignmentOf(reply);
    if (current === null) throw new Error(`channel ${pkg}/${channel}: the previous assignment in Redis is malformed`);
    return { kind: "rolled", current };
  }

  async recordOutcome(pkg: string, channel: string, assignmentId: string, windowMs: number, failed: boolean, now: number): Promise<{ calls: number; errors: number }> {
    const reply = (await script("channel-outcome").run(this.#client, [this.#keys.channelHealth(pkg, channel, assignmentId)], [now, windowMs, failed ? "1" : "0"])) as number[];
    return { calls: Number(reply[0] ?? 0), errors: Number(reply[1] ?? 0) };
  }
}
