// The /v1 API over a real socket: body reading, validation, the error shape, request
// ids, routing, docs and health. Nothing here needs an installed package.
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRuntime, type TestRuntime } from "./runtime-fixture.ts";

const MAX_BODY = 4096;
const OPERATIONS = [
  "InstallPackage",
  "InstallPackageAsync",
  "GetInstallPackageAsyncStatus",
  "CancelInstallPackage",
  "RetryInstallPackage",
  "DeletePackage",
  "ReadPackageMetadata",
  "ListPackages",
  "RunPluginTool",
  "RunPluginValidate",
  "RunPluginToolAdapterRuntime",
  "SetChannel",
  "RollbackChannel",
  "GetChannels",
  "GetUsage",
];

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime({ HIAGENT_SERVER__MAX_BODY_BYTES: String(MAX_BODY) });
});
afterAll(async () => {
  await rt?.close();
});

interface Envelope {
  data: unknown;
  error: { code: string; message: string; data?: { issues?: { path: (string | number)[]; code: string }[] }; http_code: number } | null;
}

async function envelope(res: Response): Promise<Envelope> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return (await res.json()) as Envelope;
}

async function expectError(res: Response, status: number, code: string): Promise<Envelope> {
  expect(res.status).toBe(status);
  const body = await envelope(res);
  expect(body.data).toBeNull();
  expect(body.error).toMatchObject({ code, http_code: status });
  expect(typeof body.error?.message).toBe("string");
  return body;
}

describe("request bodies", () => {
  it("reads JSON whatever the Content-Type, as HiAgent's curl -d examples send it", async () => {
    const form = { headers: { "content-type": "application/x-www-form-urlencoded" } };
    const listed = await rt.post("ListPackages", "{}", form);
    expect(listed.status).toBe(200);
    expect(await envelope(listed)).toEqual({ data: [], error: null });
    await expectError(await rt.post("GetInstallPackageAsyncStatus", '{"job_id": "task-id"}', form), 404, "JobNotFound");
    await expectError(await rt.post("CancelInstallPackage", '{"job_id": "task-id"}', { headers: { "content-type": "text/plain" } }), 404, "JobNotFound");
    await expectError(await rt.post("RetryInstallPackage", '{"job_id": "task-id"}', { headers: {} }), 404, "JobNotFound");
    await expectError(await rt.post("DeletePackage", '{"pkg": "plugin_name", "version": "1.0.0"}', form), 404, "PackageNotFound");
  });

  it("takes an empty body as {}", async () => {
    const res = await fetch(`${rt.url}/v1/ListPackages`, { method: "POST" });
    expect(await envelope(res)).toEqual({ data: [], error: null });
  });

  it("refuses malformed JSON and bytes that are not UTF-8", async () => {
    const bad = await expectError(await rt.post("ListPackages", "{not json"), 400, "InvalidRequest");
    expect(bad.error?.message).toMatch(/not valid JSON/);
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    await expectError(await fetch(`${rt.url}/v1/ListPackages`, { method: "POST", body: bytes }), 400, "InvalidRequest");
  });

  it("refuses unknown fields, naming each one in error.data.issues", async () => {
    const body = await expectError(await rt.post("ListPackages", { bogus: 1, other: 2 }), 400, "InvalidRequest");
    expect(body.error?.data?.issues).toEqual([
      { path: ["bogus"], code: "unknown_field", message: "unknown field" },
      { path: ["other"], code: "unknown_field", message: "unknown field" },
    ]);
    const run = await expectError(
      await rt.post("RunPluginTool", { pkg: "p", version: "1.0.0", plugin: "P", tool: "t", inputs: {} }),
      400,
      "InvalidRequest",
    );
    expect(run.error?.data?.issues?.map((i) => i.path)).toEqual([["inputs"]]);
  });

  it("refuses wrong types and missing fields with their paths", async () => {
    const body = await expectError(await rt.post("RunPluginTool", { pkg: "p", version: 1, tool: "t", input: [] }), 400, "InvalidRequest");
    const paths = body.error?.data?.issues?.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["version", "plugin", "input"]));
    await expectError(await rt.post("ListPackages", "[]"), 400, "InvalidRequest");
    await expectError(await rt.post("GetInstallPackageAsyncStatus", {}), 400, "InvalidRequest");
  });

  it("refuses a body over server.max_body_bytes with 413, declared or streamed", async () => {
    const big = JSON.stringify({ job_id: "x".repeat(MAX_BODY) });
    const declared = await expectError(await rt.post("GetInstallPackageAsyncStatus", big), 413, "PayloadTooLarge");
    expect(declared.error?.message).toMatch(/server.max_body_bytes/);

    // No Content-Length: the server counts bytes as they arrive.
    const chunk = new TextEncoder().encode("x".repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 64) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const streamed = await fetch(`${rt.url}/v1/ListPackages`, { method: "POST", body: stream, duplex: "half" } as RequestInit);
    await expectError(streamed, 413, "PayloadTooLarge");

    const justFits = JSON.stringify({ job_id: "y".repeat(MAX_BODY - 20) });
    await expectError(await rt.post("GetInstallPackageAsyncStatus", justFits), 404, "JobNotFound");
  });
});

describe("responses", () => {
  it("carries a request id on every response, honouring a sane incoming one", async () => {
    const generated = await rt.post("ListPackages", {});
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const mine = await rt.post("ListPackages", {}, { headers: { "x-request-id": "trace-abc_123" } });
    expect(mine.headers.get("x-request-id")).toBe("trace-abc_123");
    const insane = await rt.post("ListPackages", {}, { headers: { "x-request-id": "a b<script>" } });
    expect(insane.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const failed = await rt.post("ListPackages", "{", { headers: { "x-request-id": "failing-1" } });
    expect(failed.headers.get("x-request-id")).toBe("failing-1");
    const missing = await fetch(`${rt.url}/nowhere`, { headers: { "x-request-id": "lost-1" } });
    expect(missing.headers.get("x-request-id")).toBe("lost-1");
  });

  it("answers an unknown route with 404 in the error shape, and a wrong method with 405", async () => {
    await expectError(await rt.post("NoSuchOperation", {}), 404, "InvalidRequest");
    await expectError(await fetch(`${rt.url}/nowhere`), 404, "InvalidRequest");
    const wrongMethod = await fetch(`${rt.url}/v1/ListPackages`);
    await expectError(wrongMethod, 405, "InvalidRequest");
    expect(wrongMethod.headers.get("allow")).toBe("POST");
  });

  it("answers JobNotFound for any job id, whatever its form", async () => {
    for (const jobId of ["abc-123", "", "00000000-0000-0000-0000-000000000000", "../../x", "x".repeat(1000)]) {
      await expectError(await rt.post("GetInstallPackageAsyncStatus", { job_id: jobId }), 404, "JobNotFound");
    }
  });

  it("checks the package before any sandbox work", async () => {
    const target = { pkg: "hiagent_plugin_bingsearch", version: "0.2.1", plugin: "Bing" };
    await expectError(await rt.post("RunPluginTool", { ...target, tool: "search", input: { query: "q" } }), 404, "PackageNotFound");
    await expectError(await rt.post("RunPluginTool", { ...target, tool: "search", stream: true }), 404, "PackageNotFound");
    await expectError(await rt.post("RunPluginValidate", { ...target, cfg: { api_key: "k" } }), 404, "PackageNotFound");
  });
});

describe("RunPluginToolAdapterRuntime", () => {
  const adapter = (query: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${rt.url}/v1/RunPluginToolAdapterRuntime?${query}`, { method: "POST", body, headers });

  it("validates the query and the cfg header", async () => {
    const missing = await expectError(await adapter("pkg=p&version=1.0.0", "{}"), 400, "InvalidRequest");
    expect(missing.error?.message).toMatch(/^invalid request: query\./);
    await expectError(await adapter("pkg=p&version=1.0.0&plugin=P&tool=t&extra=1", "{}"), 400, "InvalidRequest");
    const q = "pkg=p&version=1.0.0&plugin=P&tool=t";
    await expectError(await adapter(q, "{}", { cfg: "{oops" }), 400, "InvalidRequest");
    await expectError(await adapter(q, "{}", { cfg: "[1]" }), 400, "InvalidRequest");
    await expectError(await adapter(q, '{"stream": "yes"}'), 400, "InvalidRequest");
    await expectError(await adapter(q, '{"query": "x", "stream": true}', { cfg: '{"api_key":"k"}' }), 404, "PackageNotFound");
  });
});

describe("docs and health", () => {
  it("serves the OpenAPI document with every operation, from the validating schemas", async () => {
    const res = await fetch(`${rt.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId?: string; requestBody?: unknown }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const op of OPERATIONS) {
      expect(doc.paths[`/v1/${op}`]?.post?.operationId).toBe(op);
    }
    expect(doc.paths["/v1/health"]?.get).toBeDefined();
    expect(JSON.stringify(doc.paths["/v1/RunPluginTool"]?.post?.requestBody)).toContain("#/components/schemas/RunPluginToolRequest");
    const runBody = JSON.stringify(doc.components.schemas.RunPluginToolRequest);
    for (const field of ["pkg", "version", "plugin", "tool", "input", "cfg", "stream"]) expect(runBody).toContain(`"${field}"`);
    expect(runBody).toContain('"additionalProperties":false');
  });

  it("serves interactive docs at /docs", async () => {
    const res = await fetch(`${rt.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await res.text();
    expect(html.toLowerCase()).toContain("swagger");
    // Every script is a file of this server: nothing from elsewhere, nothing inline.
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, inline] of scripts) {
      expect(attrs).toMatch(/src="\/docs\/assets\//);
      expect(inline?.trim()).toBe("");
    }
    expect(html).not.toMatch(/https?:\/\//);
    const init = await fetch(`${rt.url}/docs/assets/docs-init.js`);
    expect(await init.text()).toContain("/openapi.json");
    const bundle = await fetch(`${rt.url}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect((await fetch(`${rt.url}/docs/assets/package.json`)).status).toBe(404);
    expect((await fetch(`${rt.url}/docs/assets/..%2Fpackage.json`)).status).toBe(404);
  });

  it("reports each component's state on GET /v1/health", async () => {
    const res = await fetch(`${rt.url}/v1/health`);
    expect(res.status).toBe(200);
    const body = (await envelope(res)) as { data: { status: string; components: Record<string, { state: string }> } };
    expect(body.data.status).toBe("ok");
    expect(Object.keys(body.data.components).sort()).toEqual(["api", "bundler", "packages", "queue", "sandbox", "storage"]);
    expect(body.data.components.bundler).toMatchObject({ state: "ok", restarts: 0 });
    expect(body.data.components.queue).toMatchObject({ state: "ok", backend: "embedded" });
    expect(body.data.components.sandbox).toMatchObject({ state: "ok" });
    expect(body.data.components.packages).toEqual({ state: "ok" });
  });

  it("names the engine of every sandbox process: Node 24 or newer, isolated-vm 7.0.2 or newer", async () => {
    const res = await fetch(`${rt.url}/v1/health`);
    const body = (await envelope(res)) as { data: { components: { sandbox: { processes: { engine: { node: string; v8: string; isolated_vm: string } | null }[] } } } };
    const processes = body.data.components.sandbox.processes;
    expect(processes.length).toBeGreaterThan(0);
    for (const { engine } of processes) {
      expect(engine).not.toBeNull();
      expect(Number(engine!.node.split(".")[0])).toBeGreaterThanOrEqual(24);
      expect(engine!.v8).toMatch(/^\d+\.\d+/);
      expect(semver.gte(engine!.isolated_vm, "7.0.2")).toBe(true);
    }
  });

  it("lists the OS sandbox layers in force around every sandbox process", async () => {
    const res = await fetch(`${rt.url}/v1/health`);
    type OsSandbox = { mode: string; layers: string[]; missing: { layer: string; reason: string }[] };
    const body = (await envelope(res)) as { data: { components: { sandbox: { processes: { os_sandbox: OsSandbox }[] } } } };
    const processes = body.data.components.sandbox.processes;
    expect(processes.length).toBeGreaterThan(0);
    // The default (auto) on a machine with the wall's tools (.ci/run installs them): every layer.
    for (const { os_sandbox } of processes) {
      expect(os_sandbox).toEqual({ mode: "auto", layers: ["network", "pid", "mount", "uid", "rlimits", "seccomp"], missing: [] });
    }
  });
});
