// One install job followed live: WatchInstallJob streams its status as it changes (SSE),
// shown as the install's stages with a progress bar, the reason when it fails, and
// Cancel / Retry.
import { useEffect, useState } from "preact/hooks";
import { call, stream } from "./api.ts";
import { Badge, ErrorBox } from "./common.tsx";
import type { JobStatus } from "./types.ts";

const STAGES = ["download", "unpack", "bundle", "inspect", "precompile", "publish"] as const;

export function JobProgress({ jobId, onEnded }: { jobId: string; onEnded?(job: JobStatus): void }) {
  const [job, setJob] = useState<JobStatus | null>(null);
  const [seen, setSeen] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setSeen([]);
    stream<JobStatus>(
      "WatchInstallJob",
      { job_id: jobId },
      {
        onChunk(status) {
          setJob(status);
          if (status.stage !== undefined) setSeen((s) => (s.includes(status.stage!) ? s : [...s, status.stage!]));
          if (status.status === "finished" || status.status === "failed" || status.status === "canceled") onEnded?.(status);
        },
      },
      controller.signal,
    ).catch((err: unknown) => {
      if (!controller.signal.aborted) setError(err);
    });
    return () => controller.abort();
  }, [jobId, round]);

  const act = async (op: "CancelInstallPackage" | "RetryInstallPackage") => {
    setError(null);
    try {
      await call(op, { job_id: jobId });
      if (op === "RetryInstallPackage") setRound((r) => r + 1);
    } catch (err) {
      setError(err);
    }
  };

  const status = job?.status ?? "queued";
  const running = status === "queued" || status === "started";
  return (
    <div class="job card" data-job={jobId} data-status={status}>
      <div class="job-head">
        <Badge state={status} /> <code class="muted">{jobId}</code>
        {running ? <button class="small" data-action="cancel" onClick={() => act("CancelInstallPackage")}>Cancel</button> : null}
        {status === "failed" || status === "canceled" ? <button class="small" data-action="retry" onClick={() => act("RetryInstallPackage")}>Retry</button> : null}
      </div>
      <progress max={100} value={job?.progress ?? 0} />
      <ol class="stages">
        {STAGES.map((stage, i) => {
          // Stages run in order: every stage before the furthest one reached is done.
          const furthest = Math.max(-1, ...seen.map((s) => STAGES.indexOf(s as (typeof STAGES)[number])));
          const current = job?.stage === stage && running;
          const state = current
            ? "current"
            : status === "failed" && job?.stage === stage
              ? "failed"
              : i < furthest || (i === furthest && status === "finished")
                ? "done"
                : "todo";
          return <li key={stage} class={`stage stage-${state}`} data-stage={stage} data-state={state}>{stage}</li>;
        })}
      </ol>
      {status === "finished" && job?.data ? <p class="ok-text">Installed {job.data.name}@{job.data.version}</p> : null}
      {job?.reason ? <p class="error-text reason">{job.reason}</p> : null}
      <ErrorBox error={error} />
    </div>
  );
}
