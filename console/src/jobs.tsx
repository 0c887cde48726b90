// Jobs (admin): the recent install jobs with status, stage and reason; one is followed
// live when picked.
import { useEffect, useState } from "preact/hooks";
import { call } from "./api.ts";
import { Badge, ErrorBox } from "./common.tsx";
import { JobProgress } from "./job-progress.tsx";
import type { JobStatus } from "./types.ts";

export function JobsScreen() {
  const [jobs, setJobs] = useState<JobStatus[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [picked, setPicked] = useState<string | null>(null);
  const load = () => {
    call<JobStatus[]>("ListInstallJobs", { limit: 50 }).then((a) => setJobs(a.data), setError);
  };
  useEffect(load, []);
  return (
    <div>
      <h2>Install jobs <button class="small" onClick={load}>Refresh</button></h2>
      <ErrorBox error={error} />
      {picked !== null ? <JobProgress key={picked} jobId={picked} onEnded={load} /> : null}
      {jobs === null ? <p class="muted">Loading…</p> : jobs.length === 0 ? <p class="muted">No install jobs on record.</p> : (
        <table class="jobs">
          <thead><tr><th>Package</th><th>Status</th><th>Stage</th><th>Progress</th><th>Reason</th><th /></tr></thead>
          <tbody>
            {jobs.map((j) => (
              <tr key={j.job_id} data-job={j.job_id}>
                <td>{j.data ? `${j.data.name}@${j.data.version}` : j.filename}</td>
                <td><Badge state={j.status} /></td>
                <td>{j.stage ?? ""}</td>
                <td>{j.progress}%</td>
                <td class="reason">{j.reason ?? ""}</td>
                <td><button class="small" onClick={() => setPicked(j.job_id)}>Follow</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
