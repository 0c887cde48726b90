// The package lock in Redis: one holder at a time, fencing tokens that only grow, a
// takeover when the holder stops heartbeating, and a publish fence that fails once
// the lock was taken over.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisKeys } from "../../../host/jobs/redis-keys.ts";
import { NodeHeartbeat } from "../../../host/jobs/redis-node-heartbeat.ts";
import { RedisPackageLock } from "../../../host/jobs/redis-package-lock.ts";
import { deleteKeys, TEST_REDIS_PORT, uniquePrefix } from "./redis-test-env.ts";

const prefix = uniquePrefix("lock");
const keys = new RedisKeys(prefix);
let client: Redis;

beforeAll(async () => {
  client = new Redis({ host: "127.0.0.1", port: TEST_REDIS_PORT });
});
afterAll(async () => {
  client.disconnect();
  await deleteKeys(prefix);
});

async function alive(id: string): Promise<NodeHeartbeat> {
  const heartbeat = new NodeHeartbeat(client, keys, id);
  await heartbeat.start();
  return heartbeat;
}

describe("RedisPackageLock", () => {
  it("lets one holder in at a time, with growing fencing tokens", async () => {
    const a = await alive("worker:a");
    const b = await alive("worker:b");
    const lockA = new RedisPackageLock(client, keys, a.id, { pollMs: 10 });
    const lockB = new RedisPackageLock(client, keys, b.id, { pollMs: 10 });
    const first = await lockA.acquire("calc", "1.0.0");
    let secondAt = 0;
    const second = lockB.acquire("calc", "1.0.0").then((lease) => {
      secondAt = Date.now();
      return lease;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(secondAt).toBe(0);
    const releasedAt = Date.now();
    await first.release();
    const lease = await second;
    expect(secondAt).toBeGreaterThanOrEqual(releasedAt);
    expect(lease.fence).toBeGreaterThan(first.fence);
    await lease.assertHeld();
    await lease.release();
    // Another version is another lock.
    const other = await lockA.acquire("calc", "2.0.0");
    await other.release();
    await a.stop();
    await b.stop();
  });

  it("takes over the lock of a holder that stopped heartbeating; the old holder's fence check fails", async () => {
    const dead = await alive("worker:dead");
    const live = await alive("worker:live");
    const stale = await new RedisPackageLock(client, keys, dead.id, { ttlMs: 60_000 }).acquire("calc", "3.0.0");
    // The holder dies: its heartbeat stops and ages past the alive window.
    await dead.stop();
    await client.zadd(keys.nodes, Date.now() - 60_000, dead.id);
    const started = Date.now();
    const taken = await new RedisPackageLock(client, keys, live.id, { pollMs: 10 }).acquire("calc", "3.0.0");
    expect(Date.now() - started).toBeLessThan(1000);
    expect(taken.fence).toBeGreaterThan(stale.fence);
    await expect(stale.assertHeld()).rejects.toThrow(/lost the lock/);
    // Releasing a lock taken over leaves the new holder's in place.
    await stale.release();
    await taken.assertHeld();
    await taken.release();
    await live.stop();
  });

  it("stops waiting when its signal aborts", async () => {
    const holder = await alive("worker:holder");
    const lock = new RedisPackageLock(client, keys, holder.id, { pollMs: 10 });
    const held = await lock.acquire("calc", "4.0.0");
    const controller = new AbortController();
    const waiting = lock.acquire("calc", "4.0.0", controller.signal);
    controller.abort(new Error("canceled"));
    await expect(waiting).rejects.toThrow("canceled");
    await held.release();
    await holder.stop();
  });
});
