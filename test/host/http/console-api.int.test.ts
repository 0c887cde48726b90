// The API the console stands on, over real HTTP with real installs: uploading a zip into
// the install job (same caps and checks as a URI install), following a job as SSE,
// the job list, plugin icons, which role may call what, and the headers of /console.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../../../host/auth/index.ts";
import { parseSse } from "../../e2e/api-test-client.ts";
import { demoPackage } from "../../console/console-packages.ts";
import { startTestRuntime, type TestRuntime } from "./runtime-fixture.ts";

let rt: TestRuntime;
const admin = mintToken();
const invoke = mintToken();
const MAX_PACKAGE_BYTES = 200_000;

const as = (token: string, init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } });
const upload = (body: Uint8Array | string, query = "", token = admin.token) =>
  fetch(`${rt.url}/v1/UploadPackage${query}`, as(token, { method: "POST", body: typeof body === "string" ? body : Buffer.from(body), headers: { "content-type": "application/zip" } }));
const json = async <T>(res: Response) => (await res.json()) as { data: T; error: { code: string; message: string } | null };

async function watch(jobId: string): Promise<{ status: string; stage?: string; progress: number; reason?: string }[]> {
  const res = await rt.post("WatchInstallJob", { job_id: jobId }, as(admin.token));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const events = parseSse(await res.text());
  expect(events.at(-1)?.event).toBe("end");
  return events.filter((e) => e.event === undefined).map((e) => (JSON.parse(e.data) as { data: { status: string; progress: number } }).data);
}

beforeAll(async () => {
  rt = await startTestRuntime({
    HIAGENT_AUTH__TOKENS: JSON.stringify([
      { token_sha256: admin.sha256, tenant: "ops", role: "admin" },
      { token_sha256: invoke.sha256, tenant: "acme", role: "invoke" },
    ]),
    HIAGENT_PACKAGE__MAX_PACKAGE_BYTES: String(MAX_PACKAGE_BYTES),
  });
}, 60_000);

afterAll(async () => {
  await rt?.close();
});

describe("UploadPackage and WatchInstallJob", () => {
  let jobId: string;

  it("installs an uploaded zip through an install job, whose status changes stream until it ends", async () => {
    const res = await upload(Buffer.from(await demoPackage()), "?filename=demo.zip");
    expect(res.status).toBe(200);
    jobId = (await json<{ job_id: string }>(res)).data.job_id;
    const events = await watch(jobId);
    const last = events.at(-1);
    expect(last).toMatchObject({ status: "finished", progress: 100, data: { name: "console_demo", version: "1.0.0", filename: "demo.zip" } });
    // Each event differs from the one before: changes only.
    for (let i = 1; i < events.length; i++) expect(JSON.stringify(events[i])).not.toBe(JSON.stringify(events[i - 1]));
    const listed = await json<{ name: string; permissions?: { fetch: string[] } }[]>(await rt.post("ListPackages", {}, as(admin.token)));
    expect(listed.data.find((p) => p.name === "console_demo")?.permissions).toEqual({ fetch: ["https://api.example.com"] });
  });

  it("refuses the same version again without force (AlreadyInstalled, as the job's reason), and replaces it with force=true", async () => {
    const zip = Buffer.from(await demoPackage());
    const again = (await json<{ job_id: string }>(await upload(zip))).data.job_id;
    const refused = (await watch(again)).at(-1);
    expect(refused).toMatchObject({ status: "failed" });
    expect(refused?.reason).toMatch(/console_demo@1\.0\.0/);
    const forced = (await json<{ job_id: string }>(await upload(zip, "?force=true"))).data.job_id;
    expect((await watch(forced)).at(-1)?.status).toBe("finished");
  });

  it("checks an uploaded zip as any package: not a zip fails the job with InvalidPackage", async () => {
    const id = (await json<{ job_id: string }>(await upload("this is not a zip", "?filename=bad.zip"))).data.job_id;
    const ended = (await watch(id)).at(-1);
    expect(ended?.status).toBe("failed");
    const status = await json<{ reason: string }>(await rt.post("GetInstallPackageAsyncStatus", { job_id: id }, as(admin.token)));
    expect(status.data.reason).toBeTruthy();
  });

  it("caps the body at package.max_package_bytes (PayloadTooLarge), declared or streamed, and refuses an empty one", async () => {
    const big = new Uint8Array(MAX_PACKAGE_BYTES + 1);
    const declared = await upload(big);
    expect(declared.status).toBe(413);
    expect((await json(declared)).error?.message).toContain("package.max_package_bytes");
    const streamed = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(MAX_PACKAGE_BYTES / 4));
        c.close();
      },
    });
    const chunked = await fetch(`${rt.url}/v1/UploadPackage`, { ...as(admin.token, { method: "POST", body: streamed }), duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    const empty = await upload(new Uint8Array(0));
    expect(empty.status).toBe(400);
    expect((await json(empty)).error?.code).toBe("InvalidRequest");
  });

  it("validates the query: an unknown field or a bad force is InvalidRequest", async () => {
    for (const query of ["?force=yes", "?path=/etc/passwd"]) {
      const res = await upload(Buffer.from("x"), query);
      expect(res.status, query).toBe(400);
      expect((await json(res)).error?.code).toBe("InvalidRequest");
    }
  });

  it("answers JobNotFound for an unknown job as a plain error, not a stream", async () => {
    const res = await rt.post("WatchInstallJob", { job_id: "no-such-job" }, as(admin.token));
    expect(res.status).toBe(404);
    expect((await json(res)).error?.code).toBe("JobNotFound");
  });

  it("lists recent jobs newest first with status, reason and display name", async () => {
    const res = await rt.post("ListInstallJobs", { limit: 10 }, as(admin.token));
    expect(res.status).toBe(200);
    const jobs = (await json<{ job_id: string; status: string; filename: string; reason?: string }[]>(res)).data;
    expect(jobs[0]).toMatchObject({ filename: "bad.zip", status: "failed" });
    expect(jobs.at(-1)).toMatchObject({ job_id: jobId, filename: "demo.zip", status: "finished" });
    expect(jobs.every((j) => !("error" in j))).toBe(true);
    expect((await rt.post("ListInstallJobs", { limit: 0 }, as(admin.token))).status).toBe(400);
  });
});

describe("roles", () => {
  it("an invoke token may not upload, watch or list jobs (Forbidden), but may read icons", async () => {
    expect((await upload(Buffer.from(await demoPackage()), "", invoke.token)).status).toBe(403);
    expect((await rt.post("WatchInstallJob", { job_id: "x" }, as(invoke.token))).status).toBe(403);
    expect((await rt.post("ListInstallJobs", {}, as(invoke.token))).status).toBe(403);
    const icon = await fetch(`${rt.url}/v1/PluginIcon?pkg=console_demo&version=1.0.0&plugin=Demo`, as(invoke.token));
    expect(icon.status).toBe(200);
  });

  it("without a token every new operation is Unauthorized", async () => {
    expect((await upload(Buffer.from("x"), "", "nope")).status).toBe(401);
    expect((await fetch(`${rt.url}/v1/PluginIcon?pkg=console_demo&version=1.0.0&plugin=Demo`)).status).toBe(401);
  });
});

describe("PluginIcon", () => {
  it("serves the icon file the plugin names, as an image that cannot run anything", async () => {
    const res = await fetch(`${rt.url}/v1/PluginIcon?pkg=console_demo&version=1.0.0&plugin=Demo`, as(admin.token));
    expect(res.headers.get("content-type")).toBe("image/svg+xml");
    expect(res.headers.get("content-security-policy")).toContain("sandbox");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await res.text()).toContain("<svg");
  });

  it("answers PackageNotFound and PluginNotFound for what is not installed", async () => {
    const pkg = await fetch(`${rt.url}/v1/PluginIcon?pkg=nope&version=1.0.0&plugin=Demo`, as(admin.token));
    expect((await json(pkg)).error?.code).toBe("PackageNotFound");
    const plugin = await fetch(`${rt.url}/v1/PluginIcon?pkg=console_demo&version=1.0.0&plugin=Nope`, as(admin.token));
    expect((await json(plugin)).error?.code).toBe("PluginNotFound");
  });
});

describe("/console", () => {
  it("serves the page and its assets with a strict Content-Security-Policy and no inline script", async () => {
    const res = await fetch(`${rt.url}/console`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    const html = await res.text();
    for (const [, attrs, inline] of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
      expect(attrs).toMatch(/src="\/console\/assets\//);
      expect(inline?.trim()).toBe("");
    }
    const script = await fetch(`${rt.url}/console/assets/console.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect((await fetch(`${rt.url}/console/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${rt.url}/console/assets/..%2Findex.ts`)).status).toBe(404);
  });

  it("documents the new operations in /openapi.json", async () => {
    const doc = (await (await fetch(`${rt.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.paths["/v1/UploadPackage"]?.post?.operationId).toBe("UploadPackage");
    expect(doc.paths["/v1/WatchInstallJob"]?.post?.operationId).toBe("WatchInstallJob");
    expect(doc.paths["/v1/ListInstallJobs"]?.post?.operationId).toBe("ListInstallJobs");
    expect(doc.paths["/v1/PluginIcon"]?.get?.operationId).toBe("PluginIcon");
  });
});
