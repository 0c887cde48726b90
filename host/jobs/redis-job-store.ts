// Our own record of each install job in Redis (`{prefix}:job:{id}`, a hash): status,
// progress, stage, reason, error, data, the request, and the attempt number of its
// current run. bee-queue only hands jobs out; it never decides a job's status, and its
// job ids are never ours (a repeated custom id there yields a null id, SPEC §9.8).
// Every change that must not race is one Lua script.
import { RuntimeError, isErrorCode, type ErrorBody } from "../../sandbox/errors.ts";
import type { JobsConfig } from "../config/index.ts";
import {
  InstallRequestSchema,
  InstallStageSchema,
  InstalledPackageSchema,
  JobStateSchema,
  type InstallRequest,
  type InstallStage,
  type InstalledPackage,
  type JobState,
} from "./job-model.ts";
import { RECENT_JOBS_MAX, type JobSnapshot } from "./job-queue.ts";
import type { RedisClient } from "./redis-connection.ts";
import type { RedisKeys } from "./redis-keys.ts";
import { script } from "./redis-scripts.ts";

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface JobRecord {
  id: string;
  status: JobState;
  progress: number;
  stage?: InstallStage;
  reason?: string;
  error?: ErrorBody;
  data?: InstalledPackage;
  request: InstallRequest;
  attempt: number;
  cancel: boolean;
  /** bee-queue's id of the job's latest submission (internal to bee-queue, never shown). */
  beeId?: string;
}

export interface JobOutcome {
  /** The run that reports; omitted to end the job whatever run it is on. */
  attempt?: number;
  /** The states the job must be in for this to apply. */
  from: readonly JobState[];
  status: "finished" | "failed" | "canceled";
  progress?: number;
  reason?: string;
  error?: ErrorBody;
  data?: InstalledPackage;
}

/** What a running install learns when it reports: go on, stop (canceled), or it is no longer the job's run. */
export type RunCheck = "ok" | "cancel" | "stale";

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseError(text: string | undefined): ErrorBody | undefined {
  const value = parseJson(text) as Partial<ErrorBody> | undefined;
  if (value === undefined || !isErrorCode(value.code) || typeof value.message !== "string") return undefined;
  return value.data === undefined ? { code: value.code, message: value.message } : { code: value.code, message: value.message, data: value.data };
}

export class RedisJobStore {
  readonly #client: RedisClient;
  readonly #keys: RedisKeys;
  readonly #jobs: JobsConfig;

  constructor(client: RedisClient, keys: RedisKeys, jobs: JobsConfig) {
    this.#client = client;
    this.#keys = keys;
    this.#jobs = jobs;
  }

  /** Ids are UUIDs; anything else is unknown without asking Redis. */
  static isJobId(id: string): boolean {
    return JOB_ID.test(id);
  }

  /** Records a queued job, waiting to be handed to bee-queue (RedisJobSubmitter). */
  async create(id: string, request: InstallRequest): Promise<void> {
    const now = Date.now();
    await this.#client
      .multi()
      .hset(this.#keys.job(id), { id, status: "queued", progress: "0", attempt: "0", request: JSON.stringify(request), created_at: String(now) })
      .zadd(this.#keys.pendingJobs, now, id)
      .zadd(this.#keys.recentJobs, now, id)
      .zremrangebyrank(this.#keys.recentJobs, 0, -RECENT_JOBS_MAX - 1)
      .exec();
  }

  /** The newest records, newest first; ids whose record has expired are skipped. */
  async recent(limit: number): Promise<JobRecord[]> {
    const ids = await this.#client.zrevrange(this.#keys.recentJobs, 0, Math.min(limit, RECENT_JOBS_MAX) - 1);
    const records = await Promise.all(ids.map((id) => this.read(id)));
    return records.filter((r): r is JobRecord => r !== null);
  }

  async read(id: string): Promise<JobRecord | null> {
    if (!RedisJobStore.isJobId(id)) return null;
    const raw = await this.#client.hgetall(this.#keys.job(id));
    const status = JobStateSchema.safeParse(raw.status);
    const request = InstallRequestSchema.safeParse(parseJson(raw.request));
    if (!status.success || !request.success) return null;
    const record: JobRecord = {
      id,
      status: status.data,
      progress: Math.max(0, Math.min(100, Number(raw.progress ?? 0) || 0)),
      request: request.data,
      attempt: Number(raw.attempt ?? 0) || 0,
      cancel: raw.cancel === "1",
    };
    const stage = InstallStageSchema.safeParse(raw.stage);
    if (stage.success) record.stage = stage.data;
    if (raw.reason !== undefined) record.reason = raw.reason;
    if (raw.bee_id !== undefined) record.beeId = raw.bee_id;
    const error = parseError(raw.error);
    if (error !== undefined) record.error = error;
    const data = InstalledPackageSchema.safeParse(parseJson(raw.data));
    if (data.success) record.data = data.data;
    return record;
  }

  /** The record, or `JobNotFound`. */
  async find(id: string): Promise<JobRecord> {
    const record = await this.read(id);
    if (record === null) throw new RuntimeError("JobNotFound", `no install job ${JSON.stringify(id.slice(0, 100))}`);
    return record;
  }

  /** Starts (or takes over) the job for a worker, for bee-queue delivery `beeId`; null when it must not run. */
  async claim(id: string, worker: string, beeId: string): Promise<{ attempt: number; cancel: boolean } | null> {
    const result = (await script("job-claim").run(this.#client, [this.#keys.job(id)], [worker, Date.now(), beeId])) as [number, string] | null;
    if (result === null) return null;
    return { attempt: Number(result[0]), cancel: result[1] === "1" };
  }

  /** Records a stage of run `attempt`; says whether the run should go on. */
  async progress(id: string, attempt: number, stage: InstallStage | "", progress: number): Promise<RunCheck> {
    const result = Number(await script("job-progress").run(this.#client, [this.#keys.job(id)], [attempt, stage, Math.round(progress)]));
    return result < 0 ? "stale" : result > 0 ? "cancel" : "ok";
  }

  /** Whether run `attempt` is still the job's run and not asked to stop. */
  check(id: string, attempt: number): Promise<RunCheck> {
    return this.progress(id, attempt, "", 0);
  }

  /** Ends the job as `outcome` says, if it is still in an expected state (and run); true when it did. */
  async finish(id: string, outcome: JobOutcome): Promise<boolean> {
    const fields: string[] = [];
    if (outcome.progress !== undefined) fields.push("progress", String(outcome.progress));
    if (outcome.reason !== undefined) fields.push("reason", outcome.reason);
    if (outcome.error !== undefined) fields.push("error", JSON.stringify(outcome.error));
    if (outcome.data !== undefined) fields.push("data", JSON.stringify(outcome.data));
    const keepMs = this.#jobs.keep_finished_seconds * 1000;
    const result = await script("job-finish").run(
      this.#client,
      [this.#keys.job(id), this.#keys.endedJobs],
      [
        outcome.attempt ?? "",
        outcome.from.join(","),
        outcome.status,
        Date.now(),
        keepMs,
        this.#jobs.keep_finished_max,
        this.#keys.jobPrefix,
        this.#keys.channel("job-ended"),
        id,
        ...fields,
      ],
    );
    return Number(result) === 1;
  }

  /** Flags a started job for cancellation and tells its worker; false when it is not started. */
  async requestCancel(id: string): Promise<boolean> {
    return Number(await script("job-request-cancel").run(this.#client, [this.#keys.job(id)], [this.#keys.channel("cancel"), id])) === 1;
  }

  /** Failed or canceled → queued; otherwise the state that forbids it (null: unknown job). */
  async retry(id: string): Promise<"ok" | string | null> {
    const result = await script("job-retry").run(this.#client, [this.#keys.job(id), this.#keys.endedJobs, this.#keys.pendingJobs], [id, Date.now()]);
    return result === null ? null : String(result);
  }

  /** Hands run `attempt` of a started job back to the queue; false when it was no longer current. */
  async requeue(id: string, attempt: number): Promise<boolean> {
    return Number(await script("job-requeue").run(this.#client, [this.#keys.job(id), this.#keys.pendingJobs], [attempt, Date.now(), id])) === 1;
  }
}

export function snapshotOf(record: JobRecord): JobSnapshot {
  const s: JobSnapshot = { job_id: record.id, status: record.status, progress: record.progress };
  if (record.reason !== undefined) s.reason = record.reason;
  if (record.data !== undefined) s.data = { ...record.data };
  if (record.stage !== undefined) s.stage = record.stage;
  if (record.error !== undefined) s.error = record.error;
  return s;
}
