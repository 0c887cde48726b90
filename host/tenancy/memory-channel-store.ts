// Channel assignments in this process's memory: the single-node store (no Redis).
import type { Assignment } from "./channel-model.ts";
import { KEPT_ASSIGNMENTS, type ChannelState, type ChannelStore, type RollbackResult } from "./channel-store.ts";

export class MemoryChannelStore implements ChannelStore {
  /** `pkg\nchannel` → assignments, current first. */
  readonly #channels = new Map<string, Assignment[]>();
  /** Assignment id → sub-bucket → [calls, errors]. */
  readonly #health = new Map<string, Map<number, [number, number]>>();

  current(pkg: string, channel: string): Promise<Assignment | null> {
    return Promise.resolve(this.#channels.get(`${pkg}\n${channel}`)?.[0] ?? null);
  }

  list(pkg: string): Promise<ChannelState[]> {
    const states: ChannelState[] = [];
    for (const [id, stack] of this.#channels) {
      const [name, channel] = id.split("\n") as [string, string];
      const current = stack[0];
      if (name === pkg && current !== undefined) states.push({ channel, current, previous: stack[1] ?? null });
    }
    return Promise.resolve(states.sort((a, b) => a.channel.localeCompare(b.channel)));
  }

  set(pkg: string, channel: string, assignment: Assignment): Promise<void> {
    const id = `${pkg}\n${channel}`;
    this.#channels.set(id, [assignment, ...(this.#channels.get(id) ?? [])].slice(0, KEPT_ASSIGNMENTS));
    return Promise.resolve();
  }

  rollback(pkg: string, channel: string, options: { expectedId?: string; mayUnset: boolean }): Promise<RollbackResult> {
    const id = `${pkg}\n${channel}`;
    const stack = this.#channels.get(id) ?? [];
    const [head, next] = stack;
    if (head === undefined) return Promise.resolve({ kind: "none" });
    if (options.expectedId !== undefined && head.id !== options.expectedId) return Promise.resolve({ kind: "stale" });
    if (next === undefined) {
      if (!options.mayUnset) return Promise.resolve({ kind: "first" });
      this.#channels.delete(id);
      return Promise.resolve({ kind: "unset" });
    }
    this.#channels.set(id, stack.slice(1));
    return Promise.resolve({ kind: "rolled", current: next });
  }

  recordOutcome(_pkg: string, _channel: string, assignmentId: string, windowMs: number, failed: boolean, now: number): Promise<{ calls: number; errors: number }> {
    const step = Math.max(1, Math.floor(windowMs / 10));
    const bucket = Math.floor(now / step);
    let buckets = this.#health.get(assignmentId);
    if (buckets === undefined) {
      buckets = new Map();
      this.#health.set(assignmentId, buckets);
    }
    const counts = buckets.get(bucket) ?? [0, 0];
    counts[0] += 1;
    if (failed) counts[1] += 1;
    buckets.set(bucket, counts);
    let calls = 0;
    let errors = 0;
    for (const [b, [c, e]] of buckets) {
      if (b <= bucket - 10) buckets.delete(b);
      else {
        calls += c;
        errors += e;
      }
    }
    return Promise.resolve({ calls, errors });
  }
}
