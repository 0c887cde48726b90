// An API node's queue and a worker sharing one prefix, as one JobQueue: the Redis
// backend as a deployment shows it, for the conformance suite.
import type { InstallRequest, JobListing, JobQueue, JobSnapshot } from "../../../host/jobs/index.ts";
import type { RedisJobQueue } from "../../../host/jobs/redis-job-queue.ts";
import type { InstallWorker } from "../../../host/worker/install-worker.ts";

/** An API node's queue and a worker sharing one prefix: the queue as a deployment shows it. */
export class QueueWithWorker implements JobQueue {
  constructor(
    readonly queue: RedisJobQueue,
    readonly worker: InstallWorker,
  ) {}

  enqueue(request: InstallRequest): Promise<string> {
    return this.queue.enqueue(request);
  }
  status(jobId: string): Promise<JobSnapshot> {
    return this.queue.status(jobId);
  }
  cancel(jobId: string): Promise<void> {
    return this.queue.cancel(jobId);
  }
  retry(jobId: string): Promise<void> {
    return this.queue.retry(jobId);
  }
  wait(jobId: string, signal?: AbortSignal): Promise<JobSnapshot> {
    return this.queue.wait(jobId, signal);
  }
  recent(limit: number): Promise<JobListing[]> {
    return this.queue.recent(limit);
  }
  health() {
    return this.queue.health();
  }
  async close(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
  }
}
