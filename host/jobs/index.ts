// The job module's public face.
export { EmbeddedJobQueue, type EmbeddedJobQueueOptions } from "./embedded-job-queue.ts";
export type { InstallContext, InstallRunner, JobQueue, JobSnapshot, QueueHealth } from "./job-queue.ts";
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
