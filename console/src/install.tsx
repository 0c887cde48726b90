// Install (admin): from a URL (InstallPackageAsync) or an uploaded zip (UploadPackage),
// then the job followed live.
import { useState } from "preact/hooks";
import { call, upload } from "./api.ts";
import { ErrorBox } from "./common.tsx";
import { JobProgress } from "./job-progress.tsx";

export function InstallScreen() {
  const [uri, setUri] = useState("");
  const [force, setForce] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const start = async (how: "uri" | "upload") => {
    setError(null);
    setJobId(null);
    try {
      if (how === "uri") {
        const { data } = await call<{ job_id: string }>("InstallPackageAsync", { uri, force });
        setJobId(data.job_id);
      } else if (file !== null) {
        const q = new URLSearchParams({ filename: file.name, force: String(force) });
        const data = await upload<{ job_id: string }>(`/v1/UploadPackage?${q}`, file);
        setJobId(data.job_id);
      }
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div>
      <h2>Install a package</h2>
      <div class="card install-forms">
        <form
          class="install-uri"
          onSubmit={(e) => {
            e.preventDefault();
            void start("uri");
          }}
        >
          <label class="field-label" for="install-uri">From a URI (file://, http(s)://, s3://)</label>
          <div class="row">
            <input id="install-uri" type="text" placeholder="https://example.com/plugin-1.0.0.zip" value={uri} onInput={(e) => setUri(e.currentTarget.value)} />
            <button type="submit" data-action="install-uri" disabled={uri === ""}>Install</button>
          </div>
        </form>
        <form
          class="install-upload"
          onSubmit={(e) => {
            e.preventDefault();
            void start("upload");
          }}
        >
          <label class="field-label" for="install-file">Or upload a zip</label>
          <div class="row">
            <input id="install-file" type="file" accept=".zip,application/zip" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
            <button type="submit" data-action="upload" disabled={file === null}>Upload and install</button>
          </div>
        </form>
        <label class="check">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.currentTarget.checked)} /> Replace the version if it is installed
        </label>
      </div>
      <ErrorBox error={error} />
      {jobId !== null ? <JobProgress key={jobId} jobId={jobId} /> : null}
    </div>
  );
}
