// Each worker builds in a scratch folder of its own under `extensions/.workers/`.
// A worker killed mid-build leaves its folder behind; the others remove the folders
// of workers that no longer send heartbeats.
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { liveNodes } from "../jobs/redis-node-heartbeat.ts";
import type { RedisClient } from "../jobs/redis-connection.ts";
import type { RedisKeys } from "../jobs/redis-keys.ts";

export const WORKERS_DIR = ".workers";
/** A folder younger than this may belong to a worker that has not sent its first heartbeat. */
const GRACE_MS = 10_000;

export function scratchDir(extensionsDir: string, nodeId: string): string {
  return path.join(path.resolve(extensionsDir), WORKERS_DIR, nodeId);
}

/** Removes scratch folders of dead workers; returns how many. */
export async function sweepDeadScratch(extensionsDir: string, client: RedisClient, keys: RedisKeys): Promise<number> {
  const root = path.join(path.resolve(extensionsDir), WORKERS_DIR);
  const names = await readdir(root).catch(() => [] as string[]);
  if (names.length === 0) return 0;
  const alive = new Set(await liveNodes(client, keys, "worker"));
  let removed = 0;
  for (const name of names) {
    if (alive.has(name)) continue;
    const folder = path.join(root, name);
    const info = await stat(folder).catch(() => null);
    if (info === null || Date.now() - info.mtimeMs < GRACE_MS) continue;
    await rm(folder, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
