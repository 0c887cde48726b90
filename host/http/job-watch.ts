// A job's status changes as a stream: what WatchInstallJob sends over SSE. Every queue
// backend answers `status()` (the embedded one from memory, Redis from the job's hash on
// every node), so the watch reads that and sends each change: one event when the job is
// seen, one per stage or progress step, and the last when it has ended. The browser gets
// the changes as they happen without polling; the reads stay on the server.
import { setTimeout as sleep } from "node:timers/promises";
import { isTerminal, type JobQueue, type JobStatus } from "../jobs/index.ts";

/** How often the status is read while the job runs. */
export const WATCH_INTERVAL_MS = 150;

/** JSON texts of the job's public status, each different from the one before; ends after a terminal one. */
export async function* watchJob(jobs: JobQueue, jobId: string, signal: AbortSignal): AsyncGenerator<string> {
  let last = "";
  for (;;) {
    const { error: _internal, ...status } = await jobs.status(jobId);
    const text = JSON.stringify(status satisfies JobStatus);
    if (text !== last) {
      last = text;
      yield text;
    }
    if (isTerminal(status.status) || signal.aborted) return;
    await sleep(WATCH_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
  }
}
