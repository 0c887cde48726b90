// The install job queue: what the HTTP layer asks of it, whatever runs the jobs
// (in-process here, bee-queue workers behind Redis later). Every backend passes the
// same conformance suite (test/host/jobs/job-queue-conformance.ts).
import type { ErrorBody } from "../../sandbox/errors.ts";
import type { InstallRequest, InstallStage, InstalledPackage, JobStatus } from "./job-model.ts";

export interface InstallContext {
  /** Aborted when the job is canceled or the queue shuts down; the runner cleans up and rejects. */
  signal: AbortSignal;
  /** Reports progress (0–100) through the install's stages. */
  onStage(stage: InstallStage, progress: number): void;
}

/** Does the install itself (the package builder); a rejection fails the job with its error. */
export type InstallRunner = (request: InstallRequest, ctx: InstallContext) => Promise<InstalledPackage>;

/** A job's status plus what the public status leaves out: the error of a failed job. */
export interface JobSnapshot extends JobStatus {
  error?: ErrorBody;
}

/** A job as the job list shows it: its status and the display name of what it installs. */
export interface JobListing extends JobSnapshot {
  filename: string;
}

/** How many jobs `recent` answers at most, whatever it is asked. */
export const RECENT_JOBS_MAX = 200;

export interface QueueHealth {
  state: "ok" | "degraded" | "down";
  backend: string;
  concurrency: number;
  queued: number;
  running: number;
}

export interface JobQueue {
  /** Queues an install; its id is returned at once (status `queued`). `RateLimited` when full. */
  enqueue(request: InstallRequest): Promise<string>;
  /** `JobNotFound` for any id it does not know, whatever its form. */
  status(jobId: string): Promise<JobSnapshot>;
  /** Cancels a queued or started job; returns once the job is `canceled` and cleaned up. */
  cancel(jobId: string): Promise<void>;
  /** Runs a failed or canceled job again under the same id; `queued` when this returns. */
  retry(jobId: string): Promise<void>;
  /** Resolves with the job's final snapshot once it is finished, failed or canceled. */
  wait(jobId: string, signal?: AbortSignal): Promise<JobSnapshot>;
  /** The newest jobs still on record (ended ones until they expire), newest first, at most `limit`. */
  recent(limit: number): Promise<JobListing[]>;
  health(): QueueHealth;
  /** Stops taking jobs and ends the running ones. */
  close(): Promise<void>;
}
