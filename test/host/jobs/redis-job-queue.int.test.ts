// The Redis backend (RedisJobQueue enqueuing, an InstallWorker running the jobs on
// bee-queue) against the job queue conformance suite, on the machine's Redis under a
// key prefix unique to this run; every key under it is deleted afterwards.
import { afterAll } from "vitest";
import type { JobsConfig } from "../../../host/config/index.ts";
import type { InstallRunner, JobQueue } from "../../../host/jobs/index.ts";
import { RedisJobQueue } from "../../../host/jobs/redis-job-queue.ts";
import { newNodeId } from "../../../host/jobs/redis-node-heartbeat.ts";
import { InstallWorker } from "../../../host/worker/install-worker.ts";
import { describeJobQueueConformance } from "./job-queue-conformance.ts";
import { QueueWithWorker } from "./queue-with-worker.ts";
import { deleteKeys, redisConfig, uniquePrefix } from "./redis-test-env.ts";

const runPrefix = uniquePrefix("queue");
let queues = 0;


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
