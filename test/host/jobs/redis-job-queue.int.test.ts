// The Redis backend (RedisJobQueue enqueuing, an InstallWorker running the jobs on
// bee-queue) against the job queue conformance suite, on the machine's Redis under a
// key prefix unique to this run; every key under it is deleted afterwards.
import { afterAll } from "vitest";
import type { JobsConfig } from "../../../host/config/index.ts";
import type { InstallRequest, InstallRunner, JobQueue, JobSnapshot } from "../../../host/jobs/index.ts";
import { RedisJobQueue } from "../../../host/jobs/redis-job-queue.ts";
import { newNodeId } from "../../../host/jobs/redis-node-heartbeat.ts";
import { InstallWorker } from "../../../host/worker/install-worker.ts";
import { describeJobQueueConformance } from "./job-queue-conformance.ts";
import { deleteKeys, redisConfig, uniquePrefix } from "./redis-test-env.ts";

const runPrefix = uniquePrefix("queue");
let queues = 0;

/** An API node's queue and a worker sharing one prefix: the queue as a deployment shows it. */
class QueueWithWorker implements JobQueue {
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
  health() {
    return this.queue.health();
  }
  async close(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
  }
}

async function redisQueue(runner: InstallRunner, jobs: JobsConfig): Promise<JobQueue> {
  // Each queue its own prefix, so one test's leftovers never reach the next test's worker.
  const redis = redisConfig(`${runPrefix}-${++queues}`);
  const worker = await InstallWorker.start({ redis, jobs, runner, nodeId: newNodeId("worker") });
  const queue = await RedisJobQueue.connect({ redis, jobs });
  return new QueueWithWorker(queue, worker);
}

afterAll(async () => {
  await deleteKeys(runPrefix);
});

describeJobQueueConformance("redis + bee-queue", redisQueue);
