// End-to-end flows over HTTP with real packages, the real sandbox and the real
// builder: the HiAgent guide's install → validate → run → stream → delete, async jobs
// (status, failure, retry, cancel mid-build), SSE, and client disconnects.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRuntime, type TestRuntime } from "../host/http/runtime-fixture.ts";
import { callApi, parseSse, until, type Envelope } from "./api-test-client.ts";
import { SLOW_PACKAGE, TOOLS_PACKAGE, writeE2ePackages } from "./e2e-packages.ts";

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime({ HIAGENT_JOBS__CONCURRENCY: "1", HIAGENT_SANDBOX__MAX_LOG_LINES: "100000" }, { captureLogs: true });
  await writeE2ePackages(rt.dir);
}, 60_000);
afterAll(async () => {
  await rt?.close();
});

/** How many times a test tool has logged `<what> <tag>` so far ("tick" per step, "aborted" when its signal fires). */
function pluginLogged(what: "tick" | "aborted", tag: string): number {
  return rt.logs.filter((line) => line.source === "plugin" && line.msg === `${what} ${tag}`).length;
}
const ticks = (tag: string): number => pluginLogged("tick", tag);

const call = <T = unknown>(operation: string, body: object | string, init?: RequestInit) => callApi<T>(rt, operation, body, init);

/** Resolves once `tag` has stopped ticking (no tick for 300 ms, several times the tools' 20 ms step). */
async function stopsTicking(tag: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = ticks(tag);
  for (;;) {
    await new Promise((r) => setTimeout(r, 300));
    const now = ticks(tag);
    if (now === last) return;
    if (Date.now() > deadline) throw new Error(`${tag} still ticking after ${timeoutMs} ms`);
    last = now;
  }
}

/** Installed package folders (staging and trash are dot-folders). */
async function published(): Promise<string[]> {
  return (await readdir(path.join(rt.dir, "extensions"))).filter((name) => !name.startsWith("."));
}

const tools = { pkg: TOOLS_PACKAGE.name, version: TOOLS_PACKAGE.version };
const cfg = { api_key: "your_api_key" };

describe("the guide's flow", () => {
  it("reads metadata without installing, from a relative file:// URI", async () => {
    const res = await call("ReadPackageMetadata", `{"uri": "file://${TOOLS_PACKAGE.file}", "filename": "plugin.zip"}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      name: TOOLS_PACKAGE.name,
      version: TOOLS_PACKAGE.version,
      uri: `file://${TOOLS_PACKAGE.file}`,
      filename: "plugin.zip",
      plugins: ["Echo", "Second"],
    });
    expect(await published()).toEqual([]);
  });

  it("installs synchronously and answers with the full metadata", async () => {
    const uri = `file://${path.join(rt.dir, TOOLS_PACKAGE.file)}`;
    const res = await call<{ name: string; plugins: { name: string; config_required: boolean; config_schema: unknown; tools: Record<string, { stream: boolean }> }[] }>(
      "InstallPackage",
      { uri, filename: "e2e_tools-1.0.0.zip", force: true },
      { headers: { "content-type": "application/json" } },
    );
    expect(res.status).toBe(200);
    expect(res.body.error).toBeNull();
    expect(res.body.data).toMatchObject({ name: TOOLS_PACKAGE.name, version: TOOLS_PACKAGE.version, uri, filename: "e2e_tools-1.0.0.zip" });
    const echo = res.body.data.plugins.find((p) => p.name === "Echo");
    expect(echo?.config_required).toBe(true);
    expect(JSON.stringify(echo?.config_schema)).toContain('"x-hiagent-secret":true');
    expect(echo?.tools.count?.stream).toBe(true);
    expect(echo?.tools.echo?.stream).toBe(false);

    const listed = await call<{ name: string; version: string }[]>("ListPackages", {});
    expect(listed.body.data.map((p) => `${p.name}@${p.version}`)).toEqual(["e2e_tools@1.0.0"]);
  });

  it("refuses a second install without force (AlreadyInstalled)", async () => {
    const res = await call("InstallPackage", { uri: `file://${TOOLS_PACKAGE.file}`, filename: "x.zip", force: false });
    expect(res.status).toBe(409);
    expect(res.body.error?.code).toBe("AlreadyInstalled");
  });

  it("validates configs: null when usable, else PluginInvalidConfig with the issue", async () => {
    const ok = await call("RunPluginValidate", `{"pkg": "${tools.pkg}", "version": "${tools.version}", "plugin": "Echo", "cfg": {"api_key": "test_key"}}`);
    expect(ok).toEqual({ status: 200, body: { data: null, error: null } });
    const rejected = await call("RunPluginValidate", { ...tools, plugin: "Echo", cfg: { api_key: "bad-key" } });
    expect(rejected.status).toBe(422);
    expect(rejected.body.error?.code).toBe("PluginInvalidConfig");
    const malformed = await call("RunPluginValidate", { ...tools, plugin: "Echo", cfg: { api_key: 1 } });
    expect(malformed.status).toBe(422);
    expect(malformed.body.error?.code).toMatch(/^(Plugin)?InvalidConfig$/);
    expect(JSON.stringify(malformed.body.error?.data)).toContain("api_key");
    expect((await call("RunPluginValidate", { ...tools, plugin: "Nope", cfg })).body.error?.code).toBe("PluginNotFound");
  });

  it("runs a tool and answers with its return value", async () => {
    const res = await call("RunPluginTool", { ...tools, plugin: "Echo", tool: "echo", input: { text: "人工智能" }, cfg });
    expect(res).toEqual({ status: 200, body: { data: { text: "人工智能", key_hidden: true, tenant: "default" }, error: null } });
    const second = await call("RunPluginTool", { ...tools, plugin: "Second", tool: "hello" });
    expect(second.body).toEqual({ data: "hi", error: null });
  });

  it("maps unknown plugins and tools, bad input and plugin failures to their codes", async () => {
    const run = (body: object) => call("RunPluginTool", { ...tools, cfg, ...body });
    expect((await run({ plugin: "Bing", tool: "echo" })).status).toBe(404);
    const noTool = await run({ plugin: "Echo", tool: "search" });
    expect(noTool.body.error?.code).toBe("ToolNotFound");
    const badInput = await run({ plugin: "Echo", tool: "echo", input: { text: 5 } });
    expect(badInput.status).toBe(422);
    expect(badInput.body.error?.code).toBe("InvalidInput");
    const noCfg = await call("RunPluginTool", { ...tools, plugin: "Echo", tool: "echo", input: { text: "x" } });
    expect(noCfg.body.error?.code).toBe("InvalidConfig");
    const boom = await run({ plugin: "Echo", tool: "boom" });
    expect(boom.status).toBe(500);
    expect(boom.body.error).toMatchObject({ code: "ToolError", message: expect.stringContaining("boom") as unknown, http_code: 500 });
    expect(JSON.stringify(boom.body)).not.toContain(rt.dir);
  });

  it("calls a tool through the adapter: query target, body input, cfg header", async () => {
    const q = new URLSearchParams({ ...tools, plugin: "Echo", tool: "echo" });
    const res = await fetch(`${rt.url}/v1/RunPluginToolAdapterRuntime?${q}`, {
      method: "POST",
      headers: { cfg: JSON.stringify(cfg) },
      body: JSON.stringify({ text: "via adapter" }),
    });
    expect(await res.json()).toEqual({ data: { text: "via adapter", key_hidden: true, tenant: "default" }, error: null });
  });

  it("deletes the package; later calls are PackageNotFound", async () => {
    expect(await call("DeletePackage", `{"pkg": "${tools.pkg}", "version": "${tools.version}"}`)).toEqual({ status: 200, body: { data: null, error: null } });
    expect((await call("RunPluginTool", { ...tools, plugin: "Echo", tool: "echo", input: { text: "x" }, cfg })).body.error?.code).toBe("PackageNotFound");
    expect((await call("DeletePackage", tools)).body.error?.code).toBe("PackageNotFound");
    expect((await call("ListPackages", {})).body.data).toEqual([]);
  });
});

describe("streaming", () => {
  beforeAll(async () => {
    const res = await call("InstallPackage", { uri: `file://${TOOLS_PACKAGE.file}`, filename: "tools.zip" });
    expect(res.status).toBe(200);
  });

  const stream = (tool: string, input: object) =>
    rt.post("RunPluginTool", { ...tools, plugin: "Echo", tool, input, cfg, stream: true }, { headers: { "content-type": "application/json" } });

  it("sends one event per chunk, then event: end", async () => {
    const res = await stream("count", { n: 3 });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = parseSse(await res.text());
    expect(events.slice(0, 3).map((e) => JSON.parse(e.data) as unknown)).toEqual([0, 1, 2].map((i) => ({ data: { i }, error: null })));
    expect(events[3]).toEqual({ event: "end", data: "" });
    expect(events).toHaveLength(4);
  });

  it("ends a stream with no chunks with event: end alone", async () => {
    const events = parseSse(await (await stream("count", { n: 0 })).text());
    expect(events).toEqual([{ event: "end", data: "" }]);
  });

  it("sends a failure mid-stream as one error event, then event: end", async () => {
    const events = parseSse(await (await stream("fail_after", { n: 2 })).text());
    expect(events).toHaveLength(4);
    expect(JSON.parse(events[1]?.data ?? "")).toEqual({ data: "chunk 1", error: null });
    const failure = JSON.parse(events[2]?.data ?? "") as Envelope;
    expect(failure.data).toBeNull();
    expect(failure.error).toMatchObject({ code: "ToolError", http_code: 500 });
    expect(failure.error?.message).toContain("upstream broke");
    expect(events[3]?.event).toBe("end");
  });

  it("answers a call that fails before its first chunk with a plain error status", async () => {
    const res = await stream("count", { n: "three" });
    expect(res.status).toBe(422);
    expect(((await res.json()) as Envelope).error?.code).toBe("InvalidInput");
  });

  it("streams a non-streaming tool's result as one event", async () => {
    const events = parseSse(await (await stream("echo", { text: "once" })).text());
    expect(events.map((e) => e.event ?? JSON.parse(e.data))).toEqual([{ data: { text: "once", key_hidden: true, tenant: "default" }, error: null }, "end"]);
  });

  it("streams through the adapter when the body says stream: true", async () => {
    const q = new URLSearchParams({ ...tools, plugin: "Echo", tool: "count" });
    const res = await fetch(`${rt.url}/v1/RunPluginToolAdapterRuntime?${q}`, {
      method: "POST",
      headers: { cfg: JSON.stringify(cfg) },
      body: JSON.stringify({ n: 2, stream: true }),
    });
    const events = parseSse(await res.text());
    expect(events.map((e) => e.event ?? JSON.parse(e.data))).toEqual([{ data: { i: 0 }, error: null }, { data: { i: 1 }, error: null }, "end"]);
  });

  it("stops a streaming tool when the client disconnects", async () => {
    const controller = new AbortController();
    const input = { tag: "stream-gone" };
    const res = await rt.post("RunPluginTool", { ...tools, plugin: "Echo", tool: "forever", input, cfg, stream: true }, { signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await until(async () => ticks("stream-gone") >= 3, "the tool to tick");
    controller.abort();
    await until(async () => pluginLogged("aborted", "stream-gone") === 1, "the tool's signal to fire", 3000);
    await stopsTicking("stream-gone");
    expect(rt.logs.some((line) => line.msg === "stream ended" && line.canceled === true)).toBe(true);
  });

  it("stops a non-streaming tool when the client disconnects", async () => {
    const controller = new AbortController();
    const input = { tag: "call-gone", ms: 20_000 };
    const pending = rt.post("RunPluginTool", { ...tools, plugin: "Echo", tool: "ticking", input, cfg }, { signal: controller.signal });
    pending.catch(() => undefined);
    await until(async () => ticks("call-gone") >= 3, "the tool to tick");
    controller.abort();
    await until(async () => pluginLogged("aborted", "call-gone") === 1, "the tool's signal to fire", 3000);
    await stopsTicking("call-gone");
  });

  it("lets a tool that is not stopped run on (the tick check is sound)", async () => {
    const input = { tag: "control", ms: 600 };
    const done = call("RunPluginTool", { ...tools, plugin: "Echo", tool: "ticking", input, cfg });
    await until(async () => ticks("control") >= 3, "the tool to tick");
    const before = ticks("control");
    await new Promise((r) => setTimeout(r, 300));
    expect(ticks("control")).toBeGreaterThan(before);
    expect((await done).body).toEqual({ data: "done", error: null });
    expect(pluginLogged("aborted", "control")).toBe(0);
  });
});

describe("install jobs", () => {
  interface JobStatus {
    job_id: string;
    status: string;
    reason?: string;
    data?: unknown;
    progress: number;
    stage?: string;
  }
  const statusOf = async (jobId: string) => (await call<JobStatus>("GetInstallPackageAsyncStatus", `{"job_id": "${jobId}"}`)).body.data;
  const settled = async (jobId: string): Promise<JobStatus> => {
    let s = await statusOf(jobId);
    await until(async () => ["finished", "failed", "canceled"].includes((s = await statusOf(jobId)).status), `job ${jobId} to end`, 20_000);
    return s;
  };

  it("installs asynchronously: job id, status to finished with the package as data", async () => {
    await call("DeletePackage", tools);
    const uri = `file://${TOOLS_PACKAGE.file}`;
    const started = await call<{ job_id: string }>("InstallPackageAsync", { uri, filename: "plugin.zip", force: false }, { headers: { "content-type": "application/json" } });
    expect(started.status).toBe(200);
    const jobId = started.body.data.job_id;
    const final = await settled(jobId);
    expect(final).toEqual({
      job_id: jobId,
      status: "finished",
      progress: 100,
      stage: "publish",
      data: { name: tools.pkg, version: tools.version, uri, filename: "plugin.zip" },
    });
  });

  it("fails a job with the error message as reason; a failed job can be retried under its id", async () => {
    const started = await call<{ job_id: string }>("InstallPackageAsync", { uri: `file://${TOOLS_PACKAGE.file}`, filename: "again.zip" });
    const jobId = started.body.data.job_id;
    const failed = await settled(jobId);
    expect(failed.status).toBe("failed");
    expect(failed.reason).toMatch(/already installed/i);
    expect((await call("CancelInstallPackage", { job_id: jobId })).body.error?.code).toBe("InvalidRequest");

    await call("DeletePackage", tools);
    expect(await call("RetryInstallPackage", `{"job_id": "${jobId}"}`)).toEqual({ status: 200, body: { data: null, error: null } });
    const retried = await settled(jobId);
    expect(retried.status).toBe("finished");
    expect((await call("RetryInstallPackage", { job_id: jobId })).body.error?.code).toBe("InvalidRequest");
  });

  it("cancels an install mid-build and leaves nothing behind; retry then completes it", async () => {
    const started = await call<{ job_id: string }>("InstallPackageAsync", { uri: `file://${SLOW_PACKAGE.file}`, filename: "slow.zip" });
    const jobId = started.body.data.job_id;
    await until(async () => (await statusOf(jobId)).stage === "inspect", "the inspect stage", 15_000);
    const running = await statusOf(jobId);
    expect(running.status).toBe("started");
    expect(running.progress).toBeGreaterThan(0);
    expect(running.progress).toBeLessThan(100);

    expect(await call("CancelInstallPackage", `{"job_id": "${jobId}"}`)).toEqual({ status: 200, body: { data: null, error: null } });
    expect((await statusOf(jobId)).status).toBe("canceled");
    expect(await published()).not.toContain(SLOW_PACKAGE.name);
    expect(await readdir(path.join(rt.dir, "extensions", ".staging")).catch(() => [])).toEqual([]);
    expect((await call("CancelInstallPackage", { job_id: jobId })).body.error?.code).toBe("InvalidRequest");

    await call("RetryInstallPackage", { job_id: jobId });
    expect((await settled(jobId)).status).toBe("finished");
    const run = await call("RunPluginTool", { pkg: SLOW_PACKAGE.name, version: SLOW_PACKAGE.version, plugin: "Slow", tool: "spins" });
    expect(run.body).toEqual({ data: true, error: null });
  });
});
