// The job module's public face. The Redis backend (redis-*.ts: RedisJobQueue for API
// nodes, used by the workers in host/worker/) is imported by path where it is needed,
// so the embedded defaults never load the Redis clients.
export { EmbeddedJobQueue, type EmbeddedJobQueueOptions } from "./embedded-job-queue.ts";
export { RECENT_JOBS_MAX, type InstallContext, type InstallRunner, type JobListing, type JobQueue, type JobSnapshot, type QueueHealth } from "./job-queue.ts";
export {
  InstallRequestSchema,
  InstallStageSchema,
  InstalledPackageSchema,
  JobStateSchema,
  JobStatusSchema,
  isTerminal,
  type InstallRequest,
  type InstallStage,
  type InstalledPackage,
  type JobState,
  type JobStatus,
} from "./job-model.ts";
