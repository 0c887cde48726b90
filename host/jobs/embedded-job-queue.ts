// The in-process job queue: the default when no Redis is configured, so `npm start`
// needs nothing else. Jobs run in this process with bounded concurrency; records of
// ended jobs are kept for `keep_finished_seconds`, at most `keep_finished_max` of them.
import { randomUUID } from "node:crypto";
import { RuntimeError, type ErrorBody } from "../../sandbox/errors.ts";
import type { JobsConfig } from "../config/index.ts";
import type { Logger } from "../logging/logger.ts";
import { isTerminal, type InstallRequest, type InstallStage, type InstalledPackage, type JobState } from "./job-model.ts";
import { RECENT_JOBS_MAX, type InstallRunner, type JobListing, type JobQueue, type JobSnapshot, type QueueHealth } from "./job-queue.ts";

/** How long a cancel waits for a started install to clean up before giving up on it. */
const CANCEL_GRACE_MS = 30_000;

interface Job {
  id: string;
  request: InstallRequest;
  status: JobState;
  progress: number;
  stage?: InstallStage;
  reason?: string;
  error?: ErrorBody;
  data?: InstalledPackage;
  /** Bumped on every run, so reports from an earlier run (or an abandoned one) are ignored. */
  run: number;
  controller: AbortController | null;
  /** Settles when the current run has ended and its outcome is recorded. */
  settled: Promise<void> | null;
  waiters: Set<() => void>;
}

export interface EmbeddedJobQueueOptions {
  runner: InstallRunner;
  config: JobsConfig;
  logger?: Logger;
}

export class EmbeddedJobQueue implements JobQueue {
  readonly #runner: InstallRunner;
  readonly #config: JobsConfig;
  readonly #logger: Logger | undefined;
  readonly #jobs = new Map<string, Job>();
  readonly #pending: string[] = [];
  readonly #running = new Set<string>();
  /** Ended jobs by id, oldest first, with the time each ended. */
  readonly #ended = new Map<string, number>();
  #pumpScheduled = false;
  #closed = false;

  constructor({ runner, config, logger }: EmbeddedJobQueueOptions) {
    this.#runner = runner;
    this.#config = config;
    this.#logger = logger;
  }

  async enqueue(request: InstallRequest): Promise<string> {
    this.#assertOpen();
    this.#assertRoom();
    const job: Job = { id: randomUUID(), request, status: "queued", progress: 0, run: 0, controller: null, settled: null, waiters: new Set() };
    this.#jobs.set(job.id, job);
    this.#queue(job);
    return job.id;
  }

  async status(jobId: string): Promise<JobSnapshot> {
    return snapshot(this.#find(jobId));
  }

  async cancel(jobId: string): Promise<void> {
    const job = this.#find(jobId);
    if (job.status === "queued") {
      const at = this.#pending.indexOf(job.id);
      if (at >= 0) this.#pending.splice(at, 1);
      this.#end(job, { status: "canceled", reason: "canceled before it started" });
      return;
    }
    if (job.status !== "started" || job.controller === null || job.settled === null) {
      throw new RuntimeError("InvalidRequest", `job ${job.id} is ${job.status}; only queued or started jobs can be canceled`);
    }
    const run = job.run;
    job.controller.abort(new RuntimeError("InvalidRequest", "install canceled"));
    const settledInTime = await Promise.race([job.settled.then(() => true), delay(CANCEL_GRACE_MS, false)]);
    if (!settledInTime && job.run === run) {
      // The runner ignores its signal: give up on it, free its slot and ignore what it reports later.
      this.#logger?.warn({ job_id: job.id }, "install did not stop within the cancel grace period; abandoned");
      job.run++;
      this.#running.delete(job.id);
      this.#end(job, { status: "canceled", reason: "canceled (the install did not stop in time)" });
      this.#schedulePump();
      return;
    }
    if ((job.status as JobState) === "finished") {
      throw new RuntimeError("InvalidRequest", `job ${job.id} finished before it could be canceled`);
    }
  }

  async retry(jobId: string): Promise<void> {
    const job = this.#find(jobId);
    if (job.status !== "failed" && job.status !== "canceled") {
      throw new RuntimeError("InvalidRequest", `job ${job.id} is ${job.status}; only failed or canceled jobs can be retried`);
    }
    this.#assertOpen();
    this.#assertRoom();
    this.#ended.delete(job.id);
    job.status = "queued";
    job.progress = 0;
    delete job.stage;
    delete job.reason;
    delete job.error;
    delete job.data;
    this.#queue(job);
  }

  async wait(jobId: string, signal?: AbortSignal): Promise<JobSnapshot> {
    const job = this.#find(jobId);
    if (isTerminal(job.status)) return snapshot(job);
    signal?.throwIfAborted();
    return new Promise<JobSnapshot>((resolve, reject) => {
      const onEnd = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve(snapshot(job));
      };
      const onAbort = (): void => {
        job.waiters.delete(onEnd);
        reject(signal?.reason);
      };
      job.waiters.add(onEnd);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  async recent(limit: number): Promise<JobListing[]> {
    const jobs = [...this.#jobs.values()].slice(-Math.min(limit, RECENT_JOBS_MAX)).reverse();
    return jobs.map((job) => ({ ...snapshot(job), filename: job.request.filename }));
  }

  health(): QueueHealth {
    return {
      state: this.#closed ? "down" : "ok",
      backend: "embedded",
      concurrency: this.#config.concurrency,
      queued: this.#pending.length,
      running: this.#running.size,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of this.#pending.splice(0)) {
      const job = this.#jobs.get(id);
      if (job !== undefined) this.#end(job, { status: "canceled", reason: "the server shut down before the install started" });
    }
    const runs: Promise<unknown>[] = [];
    for (const id of this.#running) {
      const job = this.#jobs.get(id);
      if (job?.controller == null || job.settled === null) continue;
      job.controller.abort(new RuntimeError("QueueUnavailable", "the server is shutting down"));
      runs.push(job.settled);
    }
    await Promise.race([Promise.all(runs), delay(CANCEL_GRACE_MS, undefined)]);
  }

  #queue(job: Job): void {
    this.#pending.push(job.id);
    this.#schedulePump();
  }

  /** Starts jobs on a later turn, so enqueue and retry return with the job still `queued`. */
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (!this.#closed && this.#running.size < this.#config.concurrency) {
      const id = this.#pending.shift();
      if (id === undefined) return;
      const job = this.#jobs.get(id);
      if (job?.status === "queued") this.#start(job);
    }
  }

  #start(job: Job): void {
    const run = ++job.run;
    const controller = new AbortController();
    job.status = "started";
    job.controller = controller;
    this.#running.add(job.id);
    this.#logger?.info({ job_id: job.id, filename: job.request.filename }, "install started");

    const onStage = (stage: InstallStage, progress: number): void => {
      if (job.run !== run || job.status !== "started") return;
      job.stage = stage;
      job.progress = Math.max(0, Math.min(100, Math.round(progress)));
    };
    const outcome = Promise.resolve().then(() => this.#runner(job.request, { signal: controller.signal, onStage }));
    job.settled = outcome.then(
      (installed) => {
        if (job.run !== run) return;
        this.#end(job, { status: "finished", data: installed, progress: 100 });
        this.#logger?.info({ job_id: job.id, pkg: installed.name, version: installed.version }, "install finished");
      },
      (err: unknown) => {
        if (job.run !== run) return;
        const error = RuntimeError.from(err).toBody();
        if (controller.signal.aborted) {
          const reason = controller.signal.reason instanceof Error ? controller.signal.reason.message : "install canceled";
          this.#end(job, { status: "canceled", reason });
        } else {
          this.#end(job, { status: "failed", reason: error.message, error });
        }
        this.#logger?.info({ job_id: job.id, status: job.status, code: error.code }, "install ended without a package");
      },
    ).finally(() => {
      if (job.run === run) {
        job.controller = null;
        this.#running.delete(job.id);
      }
      this.#schedulePump();
    });
  }

  #end(job: Job, outcome: { status: JobState; reason?: string; error?: ErrorBody; data?: InstalledPackage; progress?: number }): void {
    job.status = outcome.status;
    if (outcome.reason !== undefined) job.reason = outcome.reason;
    if (outcome.error !== undefined) job.error = outcome.error;
    if (outcome.data !== undefined) job.data = outcome.data;
    if (outcome.progress !== undefined) job.progress = outcome.progress;
    this.#ended.delete(job.id);
    this.#ended.set(job.id, Date.now());
    for (const notify of job.waiters) notify();
    job.waiters.clear();
    this.#prune();
  }

  /** Forgets ended jobs past their time or beyond the cap, oldest first. */
  #prune(): void {
    const expiredBefore = Date.now() - this.#config.keep_finished_seconds * 1000;
    for (const [id, endedAt] of this.#ended) {
      if (endedAt >= expiredBefore && this.#ended.size <= this.#config.keep_finished_max) break;
      this.#ended.delete(id);
      this.#jobs.delete(id);
    }
  }

  #find(jobId: string): Job {
    this.#prune();
    const job = this.#jobs.get(jobId);
    if (job === undefined) throw new RuntimeError("JobNotFound", `no install job ${JSON.stringify(jobId.slice(0, 100))}`);
    return job;
  }

  #assertOpen(): void {
    if (this.#closed) throw new RuntimeError("QueueUnavailable", "the install queue is shut down");
  }

  #assertRoom(): void {
    if (this.#pending.length >= this.#config.max_queued) {
      throw new RuntimeError("RateLimited", `too many installs waiting (${this.#pending.length}); try again later`);
    }
  }
}

function snapshot(job: Job): JobSnapshot {
  const s: JobSnapshot = { job_id: job.id, status: job.status, progress: job.progress };
  if (job.reason !== undefined) s.reason = job.reason;
  if (job.data !== undefined) s.data = { ...job.data };
  if (job.stage !== undefined) s.stage = job.stage;
  if (job.error !== undefined) s.error = job.error;
  return s;
}

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(resolve, ms, value).unref());
}
