// Hands queued jobs to bee-queue. A job is recorded queued together with an entry in
// the pending set (one MULTI), so enqueue and retry answer with a job that is still
// `queued`; the bee-queue job is made right after. Should the process die in between,
// the pending entry stays, and any API node or worker sweeping the set submits it.
// A job submitted twice is harmless: a worker claims a queued job once, and skips a
// started job unless the delivery is the one it was started from.
import type { Logger } from "../logging/logger.ts";
import type { InstallBeeQueue } from "./redis-bee-queue.ts";
import type { RedisClient } from "./redis-connection.ts";
import type { RedisKeys } from "./redis-keys.ts";

/** A pending entry older than this has lost its submitter. */
const OVERDUE_MS = 5000;
const SWEEP_EVERY_MS = 5000;
const SWEEP_BATCH = 100;

export class RedisJobSubmitter {
  readonly #client: RedisClient;
  readonly #bee: InstallBeeQueue;
  readonly #keys: RedisKeys;
  readonly #logger: Logger | undefined;
  #timer: NodeJS.Timeout | null = null;

  constructor(client: RedisClient, bee: InstallBeeQueue, keys: RedisKeys, logger?: Logger) {
    this.#client = client;
    this.#bee = bee;
    this.#keys = keys;
    this.#logger = logger;
  }

  /** Submits on a later turn: whoever enqueued reads the job as `queued` first. */
  submitSoon(id: string): void {
    setImmediate(() => {
      this.submit(id).catch((err: unknown) => this.#logger?.warn({ job_id: id, err: err instanceof Error ? err.message : String(err) }, "could not hand a job to bee-queue yet; the sweep retries"));
    });
  }

  async submit(id: string): Promise<void> {
    const job = await this.#bee.createJob({ job_id: id }).retries(0).save();
    await this.#client.multi().hset(this.#keys.job(id), "bee_id", job.id).zrem(this.#keys.pendingJobs, id).exec();
  }

  /** Submits pending jobs whose submitter went away; returns how many. */
  async sweep(): Promise<number> {
    const overdue = await this.#client.zrangebyscore(this.#keys.pendingJobs, "-inf", Date.now() - OVERDUE_MS, "LIMIT", 0, SWEEP_BATCH);
    let submitted = 0;
    for (const id of overdue) {
      const status = await this.#client.hget(this.#keys.job(id), "status");
      if (status !== "queued") {
        await this.#client.zrem(this.#keys.pendingJobs, id);
        continue;
      }
      // Pushed back, so other sweepers leave it alone while this one submits.
      await this.#client.zadd(this.#keys.pendingJobs, "XX", Date.now(), id);
      await this.submit(id);
      submitted++;
    }
    if (submitted > 0) this.#logger?.info({ submitted }, "submitted install jobs whose submitter went away");
    return submitted;
  }

  startSweeping(): void {
    this.#timer ??= setInterval(() => {
      this.sweep().catch(() => undefined);
    }, SWEEP_EVERY_MS).unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
