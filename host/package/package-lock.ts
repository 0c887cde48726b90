// Serialises changes to one name@version: publishing, replacing and deleting it.
// Calls in this process queue on a promise chain; across processes sharing the disk a
// lock file made with `open(..., "wx")` decides, and a lock left by a dead process (or
// one held far longer than any publish takes) is taken over.
import { randomUUID } from "node:crypto";
import { link, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { RuntimeError } from "../../sandbox/errors.ts";

export interface PackageLockOptions {
  /** How long to wait for a busy lock before failing (retryable `Internal`). */
  waitMs?: number;
  /** A lock file older than this is stale whoever holds it (a publish takes milliseconds). */
  staleMs?: number;
  pollMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

const DEFAULTS = { waitMs: 30_000, staleMs: 60_000, pollMs: 20 };

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class PackageLock {
  readonly #dir: string;
  readonly #options: typeof DEFAULTS;
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(lockDir: string, options: PackageLockOptions = {}) {
    this.#dir = lockDir;
    this.#options = { ...DEFAULTS, ...options };
  }

  /** Runs `fn` while holding the lock of `name@version`. */
  async withLock<T>(name: string, version: string, fn: () => Promise<T>): Promise<T> {
    const key = `${name}@${version}`;
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(async () => {
      const release = await this.#acquireFile(key);
      try {
        return await fn();
      } finally {
        await release();
      }
    });
    const tail = run.catch(() => undefined);
    this.#queues.set(key, tail);
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return run;
  }

  async #acquireFile(key: string): Promise<() => Promise<void>> {
    await mkdir(this.#dir, { recursive: true });
    const file = path.join(this.#dir, `${key}.lock`);
    const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomUUID() };
    const deadline = Date.now() + this.#options.waitMs;
    for (;;) {
      try {
        const handle = await open(file, "wx");
        try {
          await handle.writeFile(JSON.stringify(owner));
        } finally {
          await handle.close();
        }
        return () => this.#release(file, owner.token);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      if (await this.#takeOverIfStale(file)) continue;
      if (Date.now() > deadline) {
        throw new RuntimeError("Internal", `package ${key} is busy (another install or delete holds its lock)`);
      }
      await sleep(this.#options.pollMs);
    }
  }

  /** Removes the lock file if it is stale; true when it did (or the file vanished). */
  async #takeOverIfStale(file: string): Promise<boolean> {
    let seen: string;
    let ageMs: number;
    try {
      seen = await readFile(file, "utf8");
      ageMs = Date.now() - (await stat(file)).mtimeMs;
    } catch {
      return true;
    }
    let owner: Partial<LockOwner> = {};
    try {
      owner = JSON.parse(seen) as Partial<LockOwner>;
    } catch {
      // Still being written by its creator, or garbage; age decides.
    }
    const deadOwner = owner.host === hostname() && typeof owner.pid === "number" && !isProcessAlive(owner.pid);
    if (!deadOwner && ageMs < this.#options.staleMs) return false;
    // Move it aside, then make sure what we moved is the lock we judged stale: another
    // process may have taken over in between and made a fresh one.
    const aside = `${file}.${randomUUID()}.stale`;
    try {
      await rename(file, aside);
    } catch {
      return true;
    }
    try {
      if ((await readFile(aside, "utf8")) !== seen) await link(aside, file).catch(() => undefined);
    } finally {
      await unlink(aside).catch(() => undefined);
    }
    return true;
  }

  async #release(file: string, token: string): Promise<void> {
    try {
      const current = JSON.parse(await readFile(file, "utf8")) as Partial<LockOwner>;
      if (current.token === token) await unlink(file);
    } catch {
      // Already gone (taken over as stale): nothing of ours to remove.
    }
  }
}
