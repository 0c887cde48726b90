// Install-job operations for people watching installs (the console): the recent jobs,
// and one job's status changes as server-sent events. Both are admin-only, as every
// job operation is (host/auth/roles.ts lists what invoke may call).
import { z } from "@hono/zod-openapi";
import { RECENT_JOBS_MAX } from "../jobs/index.ts";
import type { ApiDeps } from "./api-deps.ts";
import { JobIdBody, JobStatusData } from "./api-schemas.ts";
import { respondData } from "./envelope.ts";
import { watchJob } from "./job-watch.ts";
import { clientSignal } from "./node-request.ts";
import { mountOperation, type ApiApp } from "./operation.ts";
import { respondSse } from "./sse-stream.ts";

const ListInstallJobsBody = z
  .strictObject({ limit: z.number().int().min(1).max(RECENT_JOBS_MAX).default(50) })
  .openapi("ListInstallJobsRequest");

const JobListingData = JobStatusData.extend({ filename: z.string() }).openapi("JobListing");

export function mountJobListOperations(app: ApiApp, deps: ApiDeps): void {
  const { jobs, maxBodyBytes } = deps;

  mountOperation(app, {
    name: "ListInstallJobs",
    tag: "Install jobs",
    summary: "The most recent install jobs, newest first",
    description: "Jobs still on record (ended ones for `jobs.keep_finished_seconds`), with their status, stage, reason and display name.",
    body: ListInstallJobsBody,
    data: z.array(JobListingData),
    errors: ["QueueUnavailable"],
    async handle(c, body) {
      const listed = await jobs.recent(body.limit);
      return respondData(c, listed.map(({ error: _internal, ...job }) => job));
    },
  }, maxBodyBytes);

  mountOperation(app, {
    name: "WatchInstallJob",
    tag: "Install jobs",
    summary: "Follow an install job: its status as server-sent events, each time it changes",
    description:
      'Always `text/event-stream`: one `data: {"data": <JobStatus>, "error": null}` event when the job is first read and one ' +
      "per change of status, stage or progress; after the event of a finished, failed or canceled job, `event: end`. " +
      "An unknown job is a plain `JobNotFound` answer.",
    body: JobIdBody,
    data: JobStatusData,
    streams: true,
    errors: ["JobNotFound", "QueueUnavailable"],
    async handle(c, body) {
      const controller = new AbortController();
      const gone = clientSignal(c);
      gone.addEventListener("abort", () => controller.abort(), { once: true });
      return respondSse(c, {
        chunks: watchJob(jobs, body.job_id, controller.signal),
        cancel: () => controller.abort(),
        requestId: c.get("requestId"),
      });
    },
  }, maxBodyBytes);
}
