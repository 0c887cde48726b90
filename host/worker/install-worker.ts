// A bee-queue worker of install jobs (SPEC §6, §9.8). bee-queue only hands jobs out;
// our job record decides: a delivered job is claimed (a new attempt number), every
// report of the run is checked against that attempt, and a cancel reaches the run as
// an abort of its signal, by pub/sub at once and by the flag at the next report or
// poll. bee-queue's own hazards are answered here: stall checks run on every worker,
// a job runs under our own deadline (bee-queue's timeout does not stop a handler),
// and a job delivered twice is told apart by its attempt (the older run is stopped).
import { RuntimeError } from "../../sandbox/errors.ts";
import type { JobsConfig } from "../config/index.ts";
import type { InstallContext, InstallRequest, InstalledPackage } from "../jobs/index.ts";
import { openBeeQueue, type BeeJobData, type InstallBeeQueue } from "../jobs/redis-bee-queue.ts";
import { awaitRedisReady, closeRedis, connectRedis, describeRedis, redisKeyPrefix, type RedisClient, type RedisConfig } from "../jobs/redis-connection.ts";
import { RedisJobStore } from "../jobs/redis-job-store.ts";
import { RedisJobSubmitter } from "../jobs/redis-job-submitter.ts";
import { RedisKeys } from "../jobs/redis-keys.ts";
import { NodeHeartbeat } from "../jobs/redis-node-heartbeat.ts";
import type { Logger } from "../logging/logger.ts";

/** A run's context: the queue's, plus what the publish step needs to fence itself. */
export interface JobRunContext extends InstallContext {
  jobId: string;
  /** Throws unless this run is still the job's run and not canceled: checked right before publishing. */
  assertCurrent(): Promise<void>;
}

export type JobRunner = (request: InstallRequest, ctx: JobRunContext) => Promise<InstalledPackage>;

export interface InstallWorkerOptions {
  redis: RedisConfig;
  jobs: JobsConfig;
  runner: JobRunner;
  /** This process's heartbeat id (the owner of the package locks it takes). */
  nodeId: string;
  logger?: Logger;
  /** An active job not renewed for this long is handed to another worker. */
  stallIntervalMs?: number;
  /** Our own deadline of one install. */
  installTimeoutMs?: number;
}

type StopReason = "cancel" | "stale" | "shutdown" | "timeout";

interface Run {
  attempt: number;
  controller: AbortController;
  why: StopReason | null;
}

/** A worker waits for Redis to come back rather than fail its job. */
const WORKER_ROLE = { name: "hiagent:worker", maxRetriesPerRequest: null };
const POLL_MS = 1000;
const CLAIM_ATTEMPTS = 10;
const CLOSE_TIMEOUT_MS = 30_000;

export class InstallWorker {
  readonly keys: RedisKeys;
  readonly #options: InstallWorkerOptions;
  readonly #client: RedisClient;
  readonly #subscriber: RedisClient;
  #bee: InstallBeeQueue | null = null;
  #submitter: RedisJobSubmitter | null = null;
  readonly #store: RedisJobStore;
  readonly #heartbeat: NodeHeartbeat;
  readonly #runs = new Map<string, Run>();
  #closed = false;

  private constructor(options: InstallWorkerOptions) {
    this.#options = options;
    this.keys = new RedisKeys(redisKeyPrefix(options.redis));
    this.#client = connectRedis(options.redis, WORKER_ROLE);
    this.#subscriber = connectRedis(options.redis, { ...WORKER_ROLE, name: "hiagent:worker-cancel" });
    this.#store = new RedisJobStore(this.#client, this.keys, options.jobs);
    this.#heartbeat = new NodeHeartbeat(this.#client, this.keys, options.nodeId, options.logger);
  }

  static async start(options: InstallWorkerOptions): Promise<InstallWorker> {
    const worker = new InstallWorker(options);
    try {
      await worker.#start();
      return worker;
    } catch (err) {
      await worker.close();
      throw err;
    }
  }

  get running(): number {
    return this.#runs.size;
  }

  /** Stops taking jobs; running installs are aborted, cleaned up and handed back to the queue. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#submitter?.stop();
    for (const run of this.#runs.values()) this.#stop(run, "shutdown");
    await this.#bee?.close(CLOSE_TIMEOUT_MS).catch((err: unknown) => this.#options.logger?.warn({ err }, "install worker: bee-queue did not close cleanly"));
    await this.#heartbeat.stop();
    for (const client of [this.#subscriber, this.#client]) await closeRedis(client);
  }

  async #start(): Promise<void> {
    const { logger, redis, jobs } = this.#options;
    const onError = (err: Error): void => logger?.warn({ err: err.message }, "install worker: redis error");
    this.#client.on("error", onError);
    this.#subscriber.on("error", onError);
    await awaitRedisReady(this.#client, 5000, describeRedis(redis));
    const stallInterval = this.#options.stallIntervalMs ?? 5000;
    const bee = await openBeeQueue({ redis, role: WORKER_ROLE, keys: this.keys, isWorker: true, stallIntervalMs: stallInterval });
    this.#bee = bee;
    bee.on("error", onError);
    bee.on("stalled", (beeId: string) => logger?.warn({ bee_id: beeId }, "a stalled install was handed back to the queue"));
    const submitter = new RedisJobSubmitter(this.#client, bee, this.keys, logger);
    this.#submitter = submitter;
    await this.#heartbeat.start();
    this.#subscriber.on("message", (channel: string, id: string) => {
      const run = this.#runs.get(id);
      if (channel === this.keys.channel("cancel") && run !== undefined) this.#stop(run, "cancel");
    });
    await this.#subscriber.subscribe(this.keys.channel("cancel"));
    // Every worker checks: a job whose worker died is found only if someone looks.
    void bee.checkStalledJobs(Math.floor(stallInterval / 2)).catch(onError);
    bee.process(jobs.concurrency, (job) => this.#handle(job.id, job.data));
    submitter.startSweeping();
    logger?.info({ concurrency: jobs.concurrency, node: this.#options.nodeId }, "install worker ready");
  }

  async #handle(beeId: string, data: BeeJobData | undefined): Promise<void> {
    const id = data?.job_id;
    if (typeof id !== "string") return;
    if (this.#closed) {
      // Delivered as we shut down: back to the pending set, for another node's sweep to submit.
      await this.#client.zadd(this.keys.pendingJobs, Date.now(), id);
      return;
    }
    const { logger } = this.#options;
    const claim = await this.#claim(id, beeId);
    if (claim === null) {
      logger?.debug({ job_id: id }, "skipped a job that is no longer queued");
      return;
    }
    const run: Run = { attempt: claim.attempt, controller: new AbortController(), why: null };
    this.#runs.set(id, run);
    const report = (check: Promise<"ok" | "cancel" | "stale">): void => {
      check.then((result) => result !== "ok" && this.#stop(run, result), () => undefined);
    };
    const poll = setInterval(() => report(this.#store.check(id, run.attempt)), POLL_MS);
    const deadline = setTimeout(() => this.#stop(run, "timeout"), this.#options.installTimeoutMs ?? 10 * 60_000);
    try {
      if (claim.cancel) this.#stop(run, "cancel");
      const record = await this.#store.read(id);
      if (record === null) return;
      logger?.info({ job_id: id, attempt: run.attempt, filename: record.request.filename }, "install started");
      const installed = await this.#options.runner(record.request, {
        jobId: id,
        signal: run.controller.signal,
        onStage: (stage, progress) => report(this.#store.progress(id, run.attempt, stage, progress)),
        assertCurrent: async () => {
          const result = await this.#store.check(id, run.attempt);
          if (result !== "ok") {
            this.#stop(run, result);
            throw new RuntimeError("InvalidRequest", result === "cancel" ? "install canceled" : "the job was taken over by another run");
          }
        },
      });
      const ended = await this.#store.finish(id, { attempt: run.attempt, from: ["started"], status: "finished", data: installed, progress: 100 });
      logger?.info({ job_id: id, pkg: installed.name, version: installed.version, recorded: ended }, "install finished");
    } catch (err) {
      await this.#ended(id, run, err);
    } finally {
      clearInterval(poll);
      clearTimeout(deadline);
      this.#runs.delete(id);
    }
  }

  /**
   * Claims the job, trying again while Redis is unreachable: a handler that threw here
   * would have bee-queue drop the delivery, leaving our record without a worker. A
   * claim retried after a lost reply finds its own delivery and takes it over.
   */
  async #claim(id: string, beeId: string): Promise<{ attempt: number; cancel: boolean } | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#store.claim(id, this.#options.nodeId, beeId);
      } catch (err) {
        if (attempt >= CLAIM_ATTEMPTS || this.#closed) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }

  /** Records how a run that threw ended, according to why it was stopped. */
  async #ended(id: string, run: Run, err: unknown): Promise<void> {
    const { logger } = this.#options;
    const attempt = run.attempt;
    switch (run.why) {
      case "stale":
        logger?.warn({ job_id: id, attempt }, "install run superseded by a newer run of the same job");
        return;
      case "shutdown":
        await this.#handBack(id, attempt);
        return;
      case "cancel":
        await this.#store.finish(id, { attempt, from: ["started"], status: "canceled", reason: "install canceled" });
        logger?.info({ job_id: id }, "install canceled");
        return;
      case "timeout": {
        const reason = `the install took longer than ${Math.round((this.#options.installTimeoutMs ?? 600_000) / 1000)} s`;
        await this.#store.finish(id, { attempt, from: ["started"], status: "failed", reason, error: { code: "Internal", message: reason } });
        return;
      }
      case null: {
        const error = RuntimeError.from(err).toBody();
        await this.#store.finish(id, { attempt, from: ["started"], status: "failed", reason: error.message, error });
        logger?.info({ job_id: id, code: error.code, reason: error.message }, "install failed");
      }
    }
  }

  /** Queues the job again for another worker (pending first, so a crash right after loses nothing). */
  async #handBack(id: string, attempt: number): Promise<void> {
    if (!(await this.#store.requeue(id, attempt))) return;
    await this.#submitter?.submit(id).catch(() => undefined); // else the sweep of another node submits it
    this.#options.logger?.info({ job_id: id }, "install handed back to the queue (worker shutting down)");
  }

  #stop(run: Run, why: StopReason): void {
    if (run.why !== null) return;
    run.why = why;
    const message = { cancel: "install canceled", stale: "superseded by a newer run", shutdown: "the worker is shutting down", timeout: "install timed out" }[why];
    run.controller.abort(new RuntimeError(why === "shutdown" ? "QueueUnavailable" : "InvalidRequest", message));
  }
}
