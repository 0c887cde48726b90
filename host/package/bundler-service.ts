// The esbuild service every bundle is built in. esbuild's JavaScript API runs builds in
// one long-lived Go child process per API process, and does not start a new one when
// that process dies; so this module is its one owner: one build at a time, each under
// a time cap and a memory cap (the service's resident memory, sampled while the build
// runs), and a service that went over a cap is killed and started afresh for the next
// build, the build that was running failing with `InvalidPackage`. Its state is a
// component of /v1/health.
import { readdir, readFile } from "node:fs/promises";
import * as esbuild from "esbuild";
import { RuntimeError } from "../../sandbox/errors.ts";

export interface BundlerLimits {
  /** `package.bundle_timeout_ms`: the longest one build may take. */
  timeoutMs: number;
  /** `package.bundler_max_memory_mb`, in bytes: the service's resident memory while it builds. */
  maxMemoryBytes: number;
}

export interface BundlerHealth {
  state: "ok";
  /** The service's process id, when it is running and can be found. */
  pid: number | null;
  /** Times the service was killed or died and was replaced. */
  restarts: number;
  /** Why it was last replaced. */
  last_restart?: string;
  /** Whether its memory can be sampled (Linux `/proc`); the time cap holds everywhere. */
  memory_cap: "enforced" | "unavailable";
}

const SAMPLE_INTERVAL_MS = 25;
/** esbuild's own words for a service that is gone (see esbuild's lib/main.js). */
const SERVICE_GONE = /service (was stopped|is no longer running)|write EPIPE|stdin\b.*closed/i;

/** The resident set of `pid` in bytes, or null. */
async function residentBytes(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/** The esbuild service among this process's children (it is started with `--service=<version>`). */
async function findServicePid(): Promise<number | null> {
  try {
    for (const task of await readdir(`/proc/${process.pid}/task`)) {
      const children = (await readFile(`/proc/${process.pid}/task/${task}/children`, "utf8")).trim();
      for (const child of children === "" ? [] : children.split(" ")) {
        const cmdline = await readFile(`/proc/${child}/cmdline`, "utf8").catch(() => "");
        if (cmdline.includes(`--service=${esbuild.version}`)) return Number(child);
      }
    }
  } catch {
    // No /proc: the memory cap cannot be sampled here.
  }
  return null;
}

class BundlerService {
  #queue: Promise<unknown> = Promise.resolve();
  #pid: number | null = null;
  #restarts = 0;
  #lastRestart: string | undefined;
  #memoryCap: BundlerHealth["memory_cap"] = process.platform === "linux" ? "enforced" : "unavailable";

  health(): BundlerHealth {
    return {
      state: "ok",
      pid: this.#pid,
      restarts: this.#restarts,
      ...(this.#lastRestart === undefined ? {} : { last_restart: this.#lastRestart }),
      memory_cap: this.#memoryCap,
    };
  }

  /**
   * Runs `build` (which uses the esbuild API) alone in the service, under `limits`. It is
   * handed a signal that fires when a cap is hit; the promise then rejects with
   * `InvalidPackage` at once, whatever the abandoned build does.
   */
  run<T>(limits: BundlerLimits, build: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const turn = this.#queue.then(() => this.#runAlone(limits, build));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #runAlone<T>(limits: BundlerLimits, build: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const stop = new AbortController();
    let over: RuntimeError | null = null;
    let failed!: (err: RuntimeError) => void;
    const stopped = new Promise<never>((_resolve, reject) => (failed = reject));
    stopped.catch(() => undefined);
    const kill = (why: string, err: RuntimeError): void => {
      if (over !== null) return;
      over = err;
      this.#replace(why);
      stop.abort(err);
      failed(err);
    };
    const timer = setTimeout(
      () => kill("time limit", new RuntimeError("InvalidPackage", `bundling took longer than ${limits.timeoutMs} ms (package.bundle_timeout_ms)`)),
      limits.timeoutMs,
    );
    let sampling = false;
    const sampler = setInterval(() => {
      if (sampling || this.#memoryCap === "unavailable") return;
      sampling = true;
      void this.#sample(limits, kill).finally(() => (sampling = false));
    }, SAMPLE_INTERVAL_MS);
    try {
      return await Promise.race([build(stop.signal), stopped]);
    } catch (err) {
      if (over !== null) throw over;
      if (err instanceof Error && SERVICE_GONE.test(err.message)) {
        this.#replace("the service died");
        throw new RuntimeError("InvalidPackage", "the bundler died while building this package", { cause: err });
      }
      throw err;
    } finally {
      clearTimeout(timer);
      clearInterval(sampler);
    }
  }

  async #sample(limits: BundlerLimits, kill: (why: string, err: RuntimeError) => void): Promise<void> {
    this.#pid ??= await findServicePid();
    if (this.#pid === null) return;
    const rss = await residentBytes(this.#pid);
    if (rss === null) {
      this.#pid = null;
      return;
    }
    if (rss > limits.maxMemoryBytes) {
      const mb = Math.round(limits.maxMemoryBytes / (1024 * 1024));
      kill("memory limit", new RuntimeError("InvalidPackage", `bundling went over the bundler's memory limit of ${mb} MB (package.bundler_max_memory_mb)`));
    }
  }

  /** Kills the service; esbuild starts a new one on the next call. */
  #replace(why: string): void {
    this.#restarts++;
    this.#lastRestart = `${why} at ${new Date().toISOString()}`;
    this.#pid = null;
    void esbuild.stop();
  }
}

/** esbuild's service is one per process, so its owner is too. */
export const bundlerService = new BundlerService();
