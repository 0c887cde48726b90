// The lock of a package version in Redis (SPEC §9.8): `SET NX PX` semantics with a
// fencing token from a per-version counter, renewed while the install runs. A holder
// that stopped heartbeating (killed mid-install) loses the lock at once; a holder
// that merely stalled loses it when its TTL runs out, and its `assertHeld` before
// publishing then fails, so only the current holder ever publishes.
import { setTimeout as sleep } from "node:timers/promises";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { VersionLease, VersionLocks } from "../package/version-locks.ts";
import type { RedisClient } from "./redis-connection.ts";
import type { RedisKeys } from "./redis-keys.ts";
import { ALIVE_WINDOW_MS } from "./redis-node-heartbeat.ts";
import { script } from "./redis-scripts.ts";

export interface RedisPackageLockOptions {
  /** Lock TTL; renewed every third of it while held. */
  ttlMs?: number;
  /** How long `acquire` waits for a busy lock. */
  waitMs?: number;
  pollMs?: number;
}

const DEFAULTS = { ttlMs: 15_000, waitMs: 120_000, pollMs: 50 };

export class RedisPackageLock implements VersionLocks {
  readonly #client: RedisClient;
  readonly #keys: RedisKeys;
  /** The heartbeat id of this process (the lock's owner). */
  readonly #owner: string;
  readonly #options: typeof DEFAULTS;

  constructor(client: RedisClient, keys: RedisKeys, owner: string, options: RedisPackageLockOptions = {}) {
    this.#client = client;
    this.#keys = keys;
    this.#owner = owner;
    this.#options = { ...DEFAULTS, ...options };
  }

  async acquire(name: string, version: string, signal?: AbortSignal): Promise<VersionLease> {
    const key = this.#keys.lock(name, version);
    const { ttlMs, waitMs, pollMs } = this.#options;
    const deadline = Date.now() + waitMs;
    for (;;) {
      signal?.throwIfAborted();
      const token = await script("lock-acquire").run(
        this.#client,
        [key, this.#keys.fences, this.#keys.nodes],
        [this.#owner, ttlMs, `${name}@${version}`, Date.now(), ALIVE_WINDOW_MS],
      );
      if (token !== null) return this.#lease(key, `${name}@${version}`, Number(token));
      if (Date.now() > deadline) throw new RuntimeError("Internal", `package ${name}@${version} is busy (another install or delete holds its lock)`);
      await sleep(pollMs, undefined, { signal }).catch((err: unknown) => {
        signal?.throwIfAborted(); // with the signal's own reason, not a generic AbortError
        throw err;
      });
    }
  }

  #lease(key: string, label: string, fence: number): VersionLease {
    const value = `${this.#owner}|${fence}`;
    const { ttlMs } = this.#options;
    let held = true;
    const renew = async (): Promise<boolean> => Number(await script("lock-renew").run(this.#client, [key], [value, ttlMs])) === 1;
    const timer = setInterval(() => {
      renew().then(
        (still) => (held &&= still),
        () => undefined, // Redis away for a moment: the TTL and the fence check decide
      );
    }, Math.floor(ttlMs / 3)).unref();
    return {
      fence,
      assertHeld: async () => {
        if (!held || !(await renew())) {
          held = false;
          throw new RuntimeError("Internal", `lost the lock of ${label} (another install took it over); not published`);
        }
      },
      release: async () => {
        clearInterval(timer);
        if (!held) return;
        held = false;
        await script("lock-release").run(this.#client, [key], [value]).catch(() => undefined);
      },
    };
  }
}
