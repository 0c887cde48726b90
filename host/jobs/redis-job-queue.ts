// The install queue of an API node behind Redis (SPEC §6): it only enqueues and
// reads; bee-queue workers (`npm run worker`) run the jobs. Job status, progress and
// stage live in Redis, so they survive an API restart and read the same on every node.
import { randomUUID } from "node:crypto";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { JobsConfig } from "../config/index.ts";
import type { Logger } from "../logging/logger.ts";
import { isTerminal, type InstallRequest } from "./job-model.ts";
import type { JobListing, JobQueue, JobSnapshot, QueueHealth } from "./job-queue.ts";
import { openBeeQueue, type InstallBeeQueue } from "./redis-bee-queue.ts";
import { awaitRedisReady, closeRedis, connectRedis, describeRedis, redisKeyPrefix, type RedisClient, type RedisConfig } from "./redis-connection.ts";
import { RedisJobStore, snapshotOf, type JobRecord } from "./redis-job-store.ts";
import { RedisJobSubmitter } from "./redis-job-submitter.ts";
import { RedisJobWatcher } from "./redis-job-watcher.ts";
import { RedisKeys } from "./redis-keys.ts";
import { liveNodes } from "./redis-node-heartbeat.ts";

/** How long a cancel waits for the worker to stop a started install before ending the job itself. */
const CANCEL_GRACE_MS = 30_000;
const HEALTH_REFRESH_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;

export interface RedisQueueHealth extends QueueHealth {
  redis: "ok" | "unreachable";
  /** Workers that sent a heartbeat within the last few seconds. */
  workers: number;
}

export interface RedisJobQueueOptions {
  redis: RedisConfig;
  jobs: JobsConfig;
  logger?: Logger;
  /**
   * The connection to subscribe on; one of its own when omitted. Sharing it with the
   * package events keeps their order: a "published" event is seen before the end of
   * the job that published it.
   */
  subscriber?: RedisClient;
}

export class RedisJobQueue implements JobQueue {
  readonly keys: RedisKeys;
  readonly #client: RedisClient;
  readonly #bee: InstallBeeQueue;
  readonly #watcher: RedisJobWatcher;
  readonly #store: RedisJobStore;
  readonly #submitter: RedisJobSubmitter;
  readonly #jobs: JobsConfig;
  readonly #logger: Logger | undefined;
  readonly #timer: NodeJS.Timeout;
  #health: RedisQueueHealth;
  #closed = false;

  private constructor(parts: { client: RedisClient; bee: InstallBeeQueue; watcher: RedisJobWatcher; keys: RedisKeys; options: RedisJobQueueOptions }) {
    this.#client = parts.client;
    this.#bee = parts.bee;
    this.#watcher = parts.watcher;
    this.keys = parts.keys;
    this.#jobs = parts.options.jobs;
    this.#logger = parts.options.logger;
    this.#store = new RedisJobStore(parts.client, parts.keys, parts.options.jobs);
    this.#submitter = new RedisJobSubmitter(parts.client, parts.bee, parts.keys, parts.options.logger);
    this.#submitter.startSweeping();
    this.#health = { state: "ok", backend: "redis", concurrency: this.#jobs.concurrency, queued: 0, running: 0, workers: 0, redis: "ok" };
    this.#timer = setInterval(() => void this.#refreshHealth(), HEALTH_REFRESH_MS).unref();
  }

  /** Connects (failing fast when Redis is unreachable) and starts listening for ended jobs. */
  static async connect(options: RedisJobQueueOptions): Promise<RedisJobQueue> {
    const keys = new RedisKeys(redisKeyPrefix(options.redis));
    // API requests fail fast (QueueUnavailable) rather than hang while Redis is away.
    const role = { name: "hiagent:api", maxRetriesPerRequest: 2 };
    const client = connectRedis(options.redis, role);
    const subscriber = options.subscriber ?? connectRedis(options.redis, { ...role, name: "hiagent:api-events" });
    const onError = (err: Error): void => options.logger?.debug({ err: err.message }, "install queue: redis error");
    client.on("error", onError);
    let bee: InstallBeeQueue | null = null;
    try {
      await awaitRedisReady(client, CONNECT_TIMEOUT_MS, describeRedis(options.redis));
      bee = await openBeeQueue({ redis: options.redis, role, keys, isWorker: false });
      bee.on("error", onError);
      const watcher = await RedisJobWatcher.start(subscriber, keys, options.logger);
      const queue = new RedisJobQueue({ client, bee, watcher, keys, options });
      await queue.#refreshHealth();
      return queue;
    } catch (err) {
      for (const c of [client, subscriber]) c.disconnect();
      await bee?.close(100).catch(() => undefined);
      throw err;
    }
  }

  async enqueue(request: InstallRequest): Promise<string> {
    this.#assertOpen();
    return this.#redis(async () => {
      await this.#assertRoom();
      const id = randomUUID();
      await this.#store.create(id, request);
      this.#submitter.submitSoon(id);
      return id;
    });
  }

  async status(jobId: string): Promise<JobSnapshot> {
    // Health is read alongside, so health() stays current for whoever polls jobs.
    const [record] = await this.#redis(() => Promise.all([this.#store.find(jobId), this.#refreshHealth()]));
    return snapshotOf(record);
  }

  async cancel(jobId: string): Promise<void> {
    for (let round = 0; round < 5; round++) {
      const record = await this.#redis(() => this.#store.find(jobId));
      if (record.status === "queued") {
        if (await this.#redis(() => this.#store.finish(jobId, { from: ["queued"], status: "canceled", reason: "canceled before it started" }))) {
          // Out of bee-queue's waiting list too, so it stops counting as queued; a worker
          // that popped it already will find it canceled and skip it.
          if (record.beeId !== undefined) await this.#bee.removeJob(record.beeId).catch(() => undefined);
          return;
        }
        continue; // a worker took it meanwhile
      }
      if (record.status !== "started") {
        throw new RuntimeError("InvalidRequest", `job ${jobId} is ${record.status}; only queued or started jobs can be canceled`);
      }
      if (!(await this.#redis(() => this.#store.requestCancel(jobId)))) continue;
      const final = await this.#waitForEnd(jobId, AbortSignal.timeout(CANCEL_GRACE_MS)).catch(() => null);
      if (final === null) {
        // The worker died or ignores the request: end the job here; its late reports are ignored.
        this.#logger?.warn({ job_id: jobId }, "install did not stop within the cancel grace period; abandoned");
        const ended = await this.#redis(() => this.#store.finish(jobId, { from: ["started"], status: "canceled", reason: "canceled (the install did not stop in time)" }));
        if (ended) return;
        continue;
      }
      if (final.status === "finished") throw new RuntimeError("InvalidRequest", `job ${jobId} finished before it could be canceled`);
      return;
    }
    throw new RuntimeError("QueueUnavailable", `job ${jobId} kept changing state; try again`);
  }

  async retry(jobId: string): Promise<void> {
    this.#assertOpen();
    if (!RedisJobStore.isJobId(jobId)) await this.#store.find(jobId);
    await this.#redis(async () => {
      await this.#assertRoom();
      const result = await this.#store.retry(jobId);
      if (result === null) await this.#store.find(jobId);
      if (result !== "ok") {
        throw new RuntimeError("InvalidRequest", `job ${jobId} is ${String(result)}; only failed or canceled jobs can be retried`);
      }
      this.#submitter.submitSoon(jobId);
    });
  }

  async wait(jobId: string, signal?: AbortSignal): Promise<JobSnapshot> {
    const record = await this.#redis(() => this.#store.find(jobId));
    if (isTerminal(record.status)) return snapshotOf(record);
    signal?.throwIfAborted();
    return this.#waitForEnd(jobId, signal);
  }

  async recent(limit: number): Promise<JobListing[]> {
    const records = await this.#redis(() => this.#store.recent(limit));
    return records.map((record) => ({ ...snapshotOf(record), filename: record.request.filename }));
  }

  health(): RedisQueueHealth {
    return this.#closed ? { ...this.#health, state: "down" } : { ...this.#health };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#submitter.stop();
    await this.#watcher.close();
    await this.#bee.close(1000).catch(() => undefined);
    await closeRedis(this.#client);
  }

  /** Resolves with the final snapshot once the job has ended; rejects when `signal` aborts first. */
  #waitForEnd(jobId: string, signal?: AbortSignal): Promise<JobSnapshot> {
    return new Promise<JobSnapshot>((resolve, reject) => {
      let checking = false;
      let stop = (): void => undefined;
      const settle = (fn: () => void): void => {
        stop();
        signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const onAbort = (): void => settle(() => reject(signal?.reason));
      const check = (): void => {
        if (checking) return;
        checking = true;
        this.#store.read(jobId).then(
          (record: JobRecord | null) => {
            checking = false;
            if (record === null) settle(() => reject(new RuntimeError("JobNotFound", `install job ${jobId} expired`)));
            else if (isTerminal(record.status)) settle(() => resolve(snapshotOf(record)));
          },
          () => {
            checking = false; // Redis away for a moment: the next poll tries again
          },
        );
      };
      stop = this.#watcher.watch(jobId, check);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (this.#closed) settle(() => reject(new RuntimeError("QueueUnavailable", "the install queue is shut down")));
      else check(); // it may have ended before the watch began
    });
  }

  async #assertRoom(): Promise<void> {
    const waiting = await this.#waiting();
    if (waiting >= this.#jobs.max_queued) throw new RuntimeError("RateLimited", `too many installs waiting (${waiting}); try again later`);
  }

  /** Jobs waiting for a worker: in bee-queue's list, or about to be handed to it. */
  async #waiting(): Promise<number> {
    const [inQueue, pending] = await Promise.all([this.#client.llen(this.keys.beeQueueKey("waiting")), this.#client.zcard(this.keys.pendingJobs)]);
    return inQueue + pending;
  }

  async #refreshDepth(): Promise<void> {
    const [queued, running] = await Promise.all([this.#waiting(), this.#client.llen(this.keys.beeQueueKey("active"))]);
    this.#health = { ...this.#health, queued, running };
  }

  async #refreshHealth(): Promise<void> {
    try {
      const [workers] = await Promise.all([liveNodes(this.#client, this.keys, "worker"), this.#refreshDepth()]);
      this.#health = { ...this.#health, workers: workers.length, redis: "ok", state: workers.length > 0 ? "ok" : "degraded" };
    } catch {
      this.#health = { ...this.#health, redis: "unreachable", state: "down" };
    }
  }

  async #redis<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RuntimeError) throw err;
      throw new RuntimeError("QueueUnavailable", `the install queue's Redis is unreachable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new RuntimeError("QueueUnavailable", "the install queue is shut down");
  }
}
