// A lock on one package version across everything that publishes or deletes it, with
// a fencing token: an install that stalled past its lock (and was taken over) finds
// out at `assertHeld` before its publish, instead of overwriting the newer one.
// The Redis implementation serves a deployment; `LocalVersionLocks` one process.
import { RuntimeError } from "../../sandbox/errors.ts";

export interface VersionLease {
  /** Grows with every acquisition of this version's lock. */
  readonly fence: number;
  /** Throws unless this lease still holds the lock (and extends it). */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

export interface VersionLocks {
  /** Waits for the lock of name@version; rejects when `signal` aborts or the wait is too long. */
  acquire(name: string, version: string, signal?: AbortSignal): Promise<VersionLease>;
}

/** Locks within one process: a promise chain per version. */
export class LocalVersionLocks implements VersionLocks {
  readonly #tails = new Map<string, Promise<void>>();
  #fence = 0;

  async acquire(name: string, version: string, signal?: AbortSignal): Promise<VersionLease> {
    const key = `${name}@${version}`;
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    // The next caller waits for the holder before us and for us.
    const tail = previous.then(() => done);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    try {
      await abortable(previous, signal);
    } catch (err) {
      release();
      throw err;
    }
    const fence = ++this.#fence;
    let held = true;
    return {
      fence,
      assertHeld: async () => {
        if (!held) throw new RuntimeError("Internal", `the lock of ${key} was released`);
      },
      release: async () => {
        if (!held) return;
        held = false;
        release();
      },
    };
  }
}

function abortable(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
