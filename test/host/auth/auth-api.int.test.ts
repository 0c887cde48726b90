// Bearer-token auth on a running server (SPEC §5, §7): 401 without a listed token,
// 403 for a role that may not call the operation (decided before the body is read and
// whatever spelling of the path routes there), public docs and a public health answer
// without details; and the per-call receipt in `X-Plugin-Usage` and the access log.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRuntime } from "../../../host/app.ts";
import { loadConfig } from "../../../host/config/index.ts";
import { hashToken } from "../../../host/auth/index.ts";
import { parseSse } from "../../e2e/api-test-client.ts";
import { startSecurityServer, TENANT_OF, type SecurityServer } from "../../security/security-server.ts";

let server: SecurityServer;
const calc = { pkg: "calculator", version: "1.0.0", plugin: "Calculator" };

const ADMIN_ONLY: [string, object][] = [
  ["InstallPackage", { uri: "file://pkgs/calculator-1.0.0.zip", filename: "c.zip" }],
  ["InstallPackageAsync", { uri: "file://pkgs/calculator-1.0.0.zip", filename: "c.zip" }],
  ["GetInstallPackageAsyncStatus", { job_id: "x" }],
  ["CancelInstallPackage", { job_id: "x" }],
  ["RetryInstallPackage", { job_id: "x" }],
  ["DeletePackage", { pkg: "calculator", version: "1.0.0" }],
];

const raw = (pathname: string, init: RequestInit = {}) => fetch(`${server.rt.url}${pathname}`, init);

beforeAll(async () => {
  server = await startSecurityServer({ HIAGENT_SERVER__MAX_BODY_BYTES: "65536" }, { captureLogs: true });
  await server.calculatorWorks();
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe("authentication", () => {
  it("every /v1 operation needs a listed bearer token: Unauthorized (401) with a Bearer challenge", async () => {
    for (const op of [...ADMIN_ONLY.map(([name]) => name), "RunPluginTool", "RunPluginValidate", "ListPackages", "ReadPackageMetadata", "RunPluginToolAdapterRuntime", "NoSuchOperation"]) {
      for (const authorization of [undefined, "Bearer not-a-listed-token", "Basic YWRtaW46YWRtaW4=", "Bearer", `Bearer ${server.tokens.admin} extra`, `Token ${server.tokens.admin}`]) {
        const res = await raw(`/v1/${op}`, { method: "POST", body: "{}", headers: authorization === undefined ? {} : { authorization } });
        expect(res.status, `${op} with ${authorization}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
        const body = (await res.json()) as { data: null; error: { code: string; http_code: number } };
        expect(body).toMatchObject({ data: null, error: { code: "Unauthorized", http_code: 401 } });
      }
    }
  });

  it("the scheme is case-insensitive and the token is exact", async () => {
    const ok = await raw("/v1/ListPackages", { method: "POST", body: "{}", headers: { authorization: `bearer ${server.tokens.a}` } });
    expect(ok.status).toBe(200);
    const near = await raw("/v1/ListPackages", { method: "POST", body: "{}", headers: { authorization: `Bearer ${server.tokens.a.slice(0, -1)}` } });
    expect(near.status).toBe(401);
  });

  it("is decided before the body is read: no token and an oversize body is 401, not 413", async () => {
    const big = "x".repeat(200_000);
    expect((await raw("/v1/InstallPackage", { method: "POST", body: big })).status).toBe(401);
    const forbidden = await server.post("a", "InstallPackage", big);
    expect(forbidden.status).toBe(403);
    expect((await server.post("admin", "InstallPackage", big)).status).toBe(413);
  });

  it("never writes a token to the log", async () => {
    for (const token of Object.values(server.tokens)) expect(JSON.stringify(server.rt.logs)).not.toContain(token);
  });
});

describe("roles", () => {
  it("an invoke token gets Forbidden (403) for every admin operation, and nothing happens", async () => {
    for (const [op, body] of ADMIN_ONLY) {
      const res = await server.call("a", op, body);
      expect(res.status, op).toBe(403);
      expect(res.body.error).toMatchObject({ code: "Forbidden", message: `a token with role invoke may not call ${op}` });
    }
    const listed = await server.call<{ name: string }[]>("b", "ListPackages", {});
    expect(listed.body.data.map((p) => p.name)).toEqual(["calculator"]);
    await server.calculatorWorks("b");
  });

  it("no spelling of an admin path gets an invoke token past the role check", async () => {
    for (const p of ["/v1/InstallPackage/", "/v1//InstallPackage", "/V1/InstallPackage", "/v1/installpackage", "/v1/%49nstallPackage", "/v1/./InstallPackage", "/v1/x/../InstallPackage"]) {
      const res = await raw(p, { method: "POST", body: JSON.stringify({ uri: "file://pkgs/calculator-1.0.0.zip", filename: "c.zip", force: true }), headers: { authorization: `Bearer ${server.tokens.a}` } });
      expect([401, 403, 404, 405], p).toContain(res.status);
    }
    const jobs = server.rt.logs.filter((l) => l.operation === "InstallPackage" && l.tenant === TENANT_OF.a && l.status === 200);
    expect(jobs).toEqual([]);
  });

  it("an invoke token runs tools, validates configs, lists packages and reads a package's metadata; an admin token may do it all", async () => {
    for (const as of ["a", "admin"] as const) {
      const read = await server.call(as, "ReadPackageMetadata", { uri: "file://pkgs/calculator-1.0.0.zip", filename: "c.zip" });
      expect(read.body).toMatchObject({ data: { name: "calculator", version: "1.0.0", plugins: ["Calculator"] }, error: null });
      expect((await server.call(as, "RunPluginTool", { ...calc, tool: "add", input: { a: 1, b: 2 } })).body).toEqual({ data: 3, error: null });
      expect((await server.call(as, "RunPluginValidate", { ...calc, cfg: null })).body).toEqual({ data: null, error: null });
      expect((await server.call(as, "ListPackages", {})).status).toBe(200);
      const adapter = await server.post(as, `RunPluginToolAdapterRuntime?pkg=calculator&version=1.0.0&plugin=Calculator&tool=add`, { a: 2, b: 2 });
      expect(await adapter.json()).toEqual({ data: 4, error: null });
    }
    expect((await server.call("admin", "GetInstallPackageAsyncStatus", { job_id: "nope" })).body.error?.code).toBe("JobNotFound");
  });
});

describe("public routes", () => {
  it("/docs and /openapi.json need no token; the document declares the bearer scheme", async () => {
    expect((await raw("/docs")).status).toBe(200);
    const doc = (await (await raw("/openapi.json")).json()) as { components: { securitySchemes?: Record<string, unknown> }; security?: unknown };
    expect(doc.components.securitySchemes?.bearerAuth).toEqual({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
  });

  it("/v1/health answers anyone with the states only; a token sees the details; a wrong token is 401", async () => {
    const anonymous = (await (await raw("/v1/health")).json()) as { data: { status: string; components: Record<string, Record<string, unknown>> } };
    expect(anonymous.data.status).toBe("ok");
    for (const component of Object.values(anonymous.data.components)) expect(Object.keys(component)).toEqual(["state"]);
    expect(Object.keys(anonymous.data.components).sort()).toEqual(["api", "bundler", "packages", "queue", "sandbox", "storage"]);
    const detailed = await server.health();
    expect(detailed.components.sandbox?.processes?.[0]?.pid).toEqual(expect.any(Number));
    const invoke = (await (await raw("/v1/health", { headers: { authorization: `Bearer ${server.tokens.b}` } })).json()) as { data: { components: { sandbox: { processes?: unknown } } } };
    expect(invoke.data.components.sandbox.processes).toBeDefined();
    expect((await raw("/v1/health", { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
  });
});

describe("the resource receipt", () => {
  const USAGE = /^cpu_ms=\d+(\.\d+)?; wall_ms=\d+(\.\d+)?; heap_peak_bytes=\d+; wasm_memory_bytes=0; fetch_count=0; fetch_bytes=0; version=1\.0\.0$/;

  it("is in X-Plugin-Usage on tool calls (JSON, adapter, failures) and in the access log line with the tenant", async () => {
    const ok = await server.call("a", "RunPluginTool", { ...calc, tool: "add", input: { a: 1, b: 1 } });
    expect(ok.headers.get("x-plugin-usage")).toMatch(USAGE);
    const adapter = await server.post("a", `RunPluginToolAdapterRuntime?pkg=calculator&version=1.0.0&plugin=Calculator&tool=add`, { a: 2, b: 2 });
    expect(adapter.headers.get("x-plugin-usage")).toMatch(USAGE);
    const failed = await server.call("a", "RunPluginTool", { ...calc, tool: "divide", input: { a: 1, b: 0 } });
    expect(failed.body.error?.code).toBe("ToolError");
    expect(failed.headers.get("x-plugin-usage")).toMatch(USAGE);
    const line = server.rt.logs.find((l) => l.req_id === ok.headers.get("x-request-id") && l.msg === "request");
    expect(line).toMatchObject({ tenant: TENANT_OF.a, operation: "RunPluginTool", status: 200, version: "1.0.0" });
    expect(line?.usage).toEqual({ cpu_ms: expect.any(Number), wall_ms: expect.any(Number), heap_peak_bytes: expect.any(Number), wasm_memory_bytes: 0, fetch_count: 0, fetch_bytes: 0 });
  });

  it("a stream carries no header (it is sent before the work is done); its receipt is logged when it ends", async () => {
    const res = await server.post("b", "RunPluginTool", { ...calc, tool: "add", input: { a: 1, b: 1 }, stream: true });
    // A tool that does not stream answers as one chunk, so its receipt is known in time.
    expect(res.headers.get("x-plugin-usage")).toMatch(USAGE);
    expect(parseSse(await res.text())[0]?.data).toBe('{"data":2,"error":null}');
  });

  it("has no business on other operations", async () => {
    expect((await server.call("a", "ListPackages", {})).headers.get("x-plugin-usage")).toBeNull();
  });
});

describe("startup", () => {
  it("refuses an auth section it cannot enforce, naming the entry", async () => {
    const { config } = loadConfig({
      cwd: server.rt.dir,
      env: {
        HIAGENT_SERVER__PORT: "0",
        HIAGENT_LOG_LEVEL: "silent",
        HIAGENT_EXTENSIONS_DIR: path.join(server.rt.dir, "other-extensions"),
        HIAGENT_AUTH__TOKENS: JSON.stringify([{ token_sha256: hashToken("x"), tenant: "two words", role: "admin" }]),
      },
    });
    await expect(startRuntime(config)).rejects.toThrow(/auth\.tokens\[0\]\.tenant/);
  });
});
