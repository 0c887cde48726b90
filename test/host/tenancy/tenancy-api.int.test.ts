// Channels, quotas and usage on a running server (embedded stores), through /v1 with
// bearer tokens for an operator and forty tenants: calls without a version run
// `latest`; a 90/10 rollout serves each tenant the version the assignment function
// gives it, on every call; pins win; rollbacks go back one step; a version that starts
// failing is rolled back automatically; a tenant over its quota gets QuotaExceeded with
// Retry-After; GetUsage counts what ran; MCP calls take the same steps. Bad input is
// InvalidRequest throughout.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../../../host/auth/index.ts";
import { assignVersion } from "../../../host/tenancy/index.ts";
import { writeBrokenGreeter, writeGreeter } from "../../cluster/cluster-packages.ts";
import { parseSse, until, type Envelope } from "../../e2e/api-test-client.ts";
import { TOOLS_PACKAGE, writeE2ePackages } from "../../e2e/e2e-packages.ts";
import { newClient } from "../../mcp/mcp-fixture.ts";
import { startTestRuntime, type TestRuntime } from "../http/runtime-fixture.ts";

const PKG = "greeter_ch";
const TENANTS = Array.from({ length: 40 }, (_, i) => `t${String(i).padStart(2, "0")}`);
const QUOTA_TENANT = "quota-a";
const STREAM_TENANT = "stream-a";

let rt: TestRuntime;
const tokens = new Map<string, string>();

interface Answer<T> {
  status: number;
  body: Envelope<T>;
  headers: Headers;
}

async function call<T = unknown>(as: string, operation: string, body: object): Promise<Answer<T>> {
  const res = await rt.post(operation, body, { headers: { authorization: `Bearer ${tokens.get(as) ?? ""}` } });
  return { status: res.status, body: (await res.json()) as Envelope<T>, headers: res.headers };
}

const greet = (as: string, version?: string) =>
  call<{ text: string; version: string }>(as, "RunPluginTool", { pkg: PKG, ...(version === undefined ? {} : { version }), plugin: "Greeter", tool: "greet", input: { who: as } });

const usageField = (headers: Headers, key: string): string | undefined =>
  headers
    .get("x-plugin-usage")
    ?.split("; ")
    .find((p) => p.startsWith(`${key}=`))
    ?.slice(key.length + 1);

beforeAll(async () => {
  const entries = [];
  for (const [tenant, role] of [["operator", "admin"], [QUOTA_TENANT, "invoke"], [STREAM_TENANT, "invoke"], ...TENANTS.map((t) => [t, "invoke"])] as const) {
    const minted = mintToken();
    tokens.set(tenant, minted.token);
    entries.push({ token_sha256: minted.sha256, tenant, role });
  }
  rt = await startTestRuntime(
    {
      HIAGENT_AUTH__TOKENS: JSON.stringify(entries),
      HIAGENT_TENANTS: JSON.stringify({
        [QUOTA_TENANT]: { quotas: { calls: { limit: 3, window: "1h" } } },
        [STREAM_TENANT]: { quotas: { calls: { limit: 2, window: "1h" }, concurrent: 1 } },
      }),
    },
    { captureLogs: true },
  );
  const drops = path.join(rt.dir, "pkgs");
  await mkdir(drops, { recursive: true });
  const packages = [
    await writeGreeter(drops, PKG, "1.0.0"),
    await writeGreeter(drops, PKG, "1.1.0"),
    await writeBrokenGreeter(drops, PKG, "1.2.0"),
    await writeGreeter(drops, PKG, "2.0.0"),
  ];
  for (const p of packages) expect((await call("operator", "InstallPackage", { uri: p.uri, filename: "g.zip" })).status).toBe(200);
  await writeE2ePackages(rt.dir);
  expect((await call("operator", "InstallPackage", { uri: `file://${TOOLS_PACKAGE.file}`, filename: "tools.zip" })).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await rt?.close();
});

describe("latest and explicit versions", () => {
  it("a call without a version runs the highest installed version; the receipt and the access log name it", async () => {
    const res = await greet("t01");
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ text: "hello t01", version: "2.0.0" });
    expect(usageField(res.headers, "version")).toBe("2.0.0");
    expect(usageField(res.headers, "channel")).toBe("latest");
    const line = rt.logs.find((l) => l.msg === "request" && l.req_id === res.headers.get("x-request-id"));
    expect(line).toMatchObject({ version: "2.0.0", channel: "latest", tenant: "t01" });
  });

  it("the adapter route and RunPluginValidate take no version (latest) or a channel as well", async () => {
    const adapter = await rt.post(`RunPluginToolAdapterRuntime?pkg=${PKG}&plugin=Greeter&tool=greet`, { who: "adapter" }, {
      headers: { authorization: `Bearer ${tokens.get("t01") ?? ""}` },
    });
    expect(adapter.status).toBe(200);
    expect(((await adapter.json()) as Envelope<{ version: string }>).data.version).toBe("2.0.0");
    expect(usageField(adapter.headers, "version")).toBe("2.0.0");
    const validate = await call("t01", "RunPluginValidate", { pkg: PKG, plugin: "Greeter", cfg: null });
    expect(validate.status).toBe(200);
    expect(validate.body).toEqual({ data: null, error: null });
    const unknown = await call("t01", "RunPluginValidate", { pkg: PKG, version: "nightly", plugin: "Greeter", cfg: null });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.message).toMatch(/no channel "nightly"/);
  });

  it("a named version is served as it is (HiAgent clients unchanged), with no channel in the receipt", async () => {
    const res = await greet("t01", "1.0.0");
    expect(res.body.data?.version).toBe("1.0.0");
    expect(usageField(res.headers, "version")).toBe("1.0.0");
    expect(usageField(res.headers, "channel")).toBeUndefined();
  });
});

describe("a gradual rollout on a channel", () => {
  const split = { pkg: PKG, channel: "stable", versions: [{ version: "1.0.0", weight: 90 }, { version: "1.1.0", weight: 10 }] };

  it("serves every tenant the version its stable hash assigns, on every call", async () => {
    const set = await call("operator", "SetChannel", split);
    expect(set.status).toBe(200);
    expect(set.body.data).toMatchObject({ channel: "stable", versions: split.versions, pins: {}, implicit: false, previous: null });
    const served = new Map<string, string>();
    for (const tenant of TENANTS) {
      const first = await greet(tenant, "stable");
      const again = await greet(tenant, "stable");
      expect(first.status).toBe(200);
      expect(again.body.data?.version).toBe(first.body.data?.version);
      expect(usageField(first.headers, "channel")).toBe("stable");
      served.set(tenant, first.body.data?.version ?? "");
    }
    for (const tenant of TENANTS) expect(served.get(tenant)).toBe(assignVersion(tenant, PKG, "stable", { versions: split.versions, pins: {} }));
    // Both versions serve someone among forty tenants (the exact shares are the assignment function's test).
    expect(new Set(served.values())).toEqual(new Set(["1.0.0", "1.1.0"]));
  });

  it("pins win over the weights; a rollback returns to the previous assignment in one step", async () => {
    const onOld = TENANTS.find((t) => assignVersion(t, PKG, "stable", { versions: split.versions, pins: {} }) === "1.0.0") ?? "";
    const pinned = await call("operator", "SetChannel", { ...split, pins: { [onOld]: "1.1.0" } });
    expect(pinned.body.data).toMatchObject({ pins: { [onOld]: "1.1.0" }, previous: { versions: split.versions, pins: {} } });
    expect((await greet(onOld, "stable")).body.data?.version).toBe("1.1.0");

    const back = await call("operator", "RollbackChannel", { pkg: PKG, channel: "stable" });
    expect(back.status).toBe(200);
    expect(back.body.data).toMatchObject({ versions: split.versions, pins: {}, previous: null });
    expect((await greet(onOld, "stable")).body.data?.version).toBe("1.0.0");

    const none = await call("operator", "RollbackChannel", { pkg: PKG, channel: "stable" });
    expect(none.status).toBe(400);
    expect(none.body.error?.code).toBe("InvalidRequest");
    expect(none.body.error?.message).toMatch(/no earlier assignment/);
  });

  it("GetChannels lists the set channels and latest, implicit while nobody set it", async () => {
    const res = await call<{ channels: { channel: string; implicit: boolean; versions: unknown }[] }>("operator", "GetChannels", { pkg: PKG });
    expect(res.status).toBe(200);
    expect(res.body.data.channels.map((c) => [c.channel, c.implicit])).toEqual(expect.arrayContaining([["latest", true], ["stable", false]]));
    expect(res.body.data.channels.find((c) => c.channel === "latest")?.versions).toEqual([{ version: "2.0.0", weight: 100 }]);
  });

  it("rolls a failing new version back by itself once its error rate crosses the threshold, and logs why", async () => {
    expect((await call("operator", "SetChannel", { pkg: PKG, channel: "canary", versions: [{ version: "1.0.0", weight: 100 }] })).status).toBe(200);
    const bad = await call("operator", "SetChannel", {
      pkg: PKG,
      channel: "canary",
      versions: [{ version: "1.2.0", weight: 100 }],
      auto_rollback: { max_error_rate: 0.5, window: "1m", min_calls: 4 },
    });
    expect(bad.status).toBe(200);
    for (let i = 0; i < 4; i++) {
      const failed = await greet(TENANTS[i] ?? "", "canary");
      expect(failed.status).toBe(500);
      expect(failed.body.error?.code).toBe("ToolError");
      expect(usageField(failed.headers, "version")).toBe("1.2.0");
    }
    const after = await greet("t05", "canary");
    expect(after.status).toBe(200);
    expect(after.body.data?.version).toBe("1.0.0");
    const logged = rt.logs.find((l) => typeof l.msg === "string" && l.msg.includes("rolled back automatically"));
    expect(logged).toMatchObject({ pkg: PKG, channel: "canary", version: "1.2.0", calls: 4, errors: 4, max_error_rate: 0.5, window: "1m" });
  });

  it("latest can be set too, and rolled back to following the highest installed version", async () => {
    expect((await call("operator", "SetChannel", { pkg: PKG, channel: "latest", versions: [{ version: "1.1.0", weight: 100 }] })).status).toBe(200);
    expect((await greet("t02")).body.data?.version).toBe("1.1.0");
    expect((await call("operator", "RollbackChannel", { pkg: PKG, channel: "latest" })).status).toBe(200);
    expect((await greet("t02")).body.data?.version).toBe("2.0.0");
  });
});

describe("bad input is a clear InvalidRequest", () => {
  const expectInvalid = (res: Answer<unknown>, message: RegExp): void => {
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe("InvalidRequest");
    expect(res.body.error?.message).toMatch(message);
  };

  it("an unknown channel", async () => {
    expectInvalid(await greet("t03", "beta"), /no channel "beta"/);
    expectInvalid(await call("operator", "RollbackChannel", { pkg: PKG, channel: "beta" }), /no channel "beta"/);
  });

  it("weights that do not sum to 100, a version listed twice, a version or a pin not installed", async () => {
    expectInvalid(await call("operator", "SetChannel", { pkg: PKG, channel: "x", versions: [{ version: "1.0.0", weight: 60 }, { version: "1.1.0", weight: 30 }] }), /sum to 100/);
    expectInvalid(await call("operator", "SetChannel", { pkg: PKG, channel: "x", versions: [{ version: "1.0.0", weight: 50 }, { version: "1.0.0", weight: 50 }] }), /twice/);
    expectInvalid(await call("operator", "SetChannel", { pkg: PKG, channel: "x", versions: [{ version: "3.0.0", weight: 100 }] }), /3\.0\.0 is not installed/);
    expectInvalid(
      await call("operator", "SetChannel", { pkg: PKG, channel: "x", versions: [{ version: "1.0.0", weight: 100 }], pins: { t01: "9.9.9" } }),
      /body\.pins\.t01: greeter_ch@9\.9\.9 is not installed/,
    );
    expectInvalid(await call("operator", "SetChannel", { pkg: PKG, channel: "Not A Channel", versions: [{ version: "1.0.0", weight: 100 }] }), /channel name/);
  });

  it("a window that is not a duration", async () => {
    expectInvalid(
      await call("operator", "SetChannel", { pkg: PKG, channel: "x", versions: [{ version: "1.0.0", weight: 100 }], auto_rollback: { max_error_rate: 0.1, window: "5 minutes" } }),
      /auto_rollback\.window: must be a duration/,
    );
    expectInvalid(await call("t01", "GetUsage", { window: "1x" }), /body\.window: must be a duration/);
    expectInvalid(await call("t01", "GetUsage", { window: "30d" }), /usage is kept for 24 h/);
  });
});

describe("roles", () => {
  it("SetChannel, RollbackChannel and GetChannels are the operator's; an invoke token is Forbidden", async () => {
    for (const [op, body] of [
      ["SetChannel", { pkg: PKG, channel: "stable", versions: [{ version: "2.0.0", weight: 100 }] }],
      ["RollbackChannel", { pkg: PKG, channel: "stable" }],
      ["GetChannels", { pkg: PKG }],
    ] as const) {
      const res = await call("t01", op, body);
      expect(res.status).toBe(403);
      expect(res.body.error?.code).toBe("Forbidden");
    }
  });
});

describe("quotas and usage", () => {
  it("refuses the call past a tenant's quota with QuotaExceeded 429, retry_after_s and Retry-After", async () => {
    for (let i = 0; i < 3; i++) expect((await greet(QUOTA_TENANT, "2.0.0")).status).toBe(200);
    const refused = await greet(QUOTA_TENANT, "2.0.0");
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: "QuotaExceeded", http_code: 429, data: { quota: "calls", limit: 3, window: "1h" } });
    const retry = (refused.body.error?.data as { retry_after_s: number }).retry_after_s;
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(3600);
    expect(refused.headers.get("retry-after")).toBe(String(retry));
    // Other tenants are not limited by it.
    expect((await greet("t04", "2.0.0")).status).toBe(200);
  });

  it("GetUsage answers a tenant's own calls per package and tool; another tenant's only to an admin", async () => {
    const own = await call<{
      tenant: string;
      window: string;
      totals: { calls: number; cpu_ms: number; egress_requests: number };
      packages: { pkg: string; version: string; calls: number; tools: { plugin: string; tool: string; calls: number }[] }[];
      series: { start: string; calls: number }[];
    }>(QUOTA_TENANT, "GetUsage", { window: "1h" });
    expect(own.status).toBe(200);
    expect(own.body.data).toMatchObject({ tenant: QUOTA_TENANT, window: "1h", totals: { calls: 3, egress_requests: 0 } });
    expect(own.body.data.totals.cpu_ms).toBeGreaterThan(0);
    expect(own.body.data.packages).toEqual([
      expect.objectContaining({ pkg: PKG, version: "2.0.0", calls: 3, tools: [expect.objectContaining({ plugin: "Greeter", tool: "greet", calls: 3 })] }),
    ]);
    expect(own.body.data.series).toHaveLength(60);
    expect(own.body.data.series.reduce((n, b) => n + b.calls, 0)).toBe(3);

    const other = await call("t01", "GetUsage", { tenant: QUOTA_TENANT, window: "1h" });
    expect(other.status).toBe(403);
    const admin = await call<{ totals: { calls: number } }>("operator", "GetUsage", { tenant: QUOTA_TENANT, window: "1h" });
    expect(admin.body.data.totals.calls).toBe(3);
  });

  it("meters a stream when it ends: its usage is recorded and its concurrency lease freed", async () => {
    const stream = () =>
      rt.post("RunPluginTool", { pkg: TOOLS_PACKAGE.name, version: TOOLS_PACKAGE.version, plugin: "Echo", tool: "count", input: { n: 3 }, cfg: { api_key: "abc" }, stream: true }, {
        headers: { authorization: `Bearer ${tokens.get(STREAM_TENANT) ?? ""}` },
      });
    const first = await stream();
    expect(first.status).toBe(200);
    expect(parseSse(await first.text()).filter((e) => e.event !== "end").map((e) => e.data)).toEqual([0, 1, 2].map((i) => JSON.stringify({ data: { i }, error: null })));
    type Usage = { totals: { calls: number; cpu_ms: number }; packages: { pkg: string; tools: { tool: string; calls: number }[] }[] };
    const usage = async () => (await call<Usage>(STREAM_TENANT, "GetUsage", { window: "1m" })).body.data;
    await until(async () => (await usage()).totals.calls === 1, "the stream's usage to be recorded");
    expect((await usage()).packages).toEqual([expect.objectContaining({ pkg: TOOLS_PACKAGE.name, tools: [expect.objectContaining({ tool: "count", calls: 1 })] })]);
    // concurrent: 1 — the next stream is admitted once the first one's lease is freed.
    await until(async () => (await stream().then((r) => r.text().then(() => r.status))) === 200, "the lease to be freed");
    const third = await stream();
    expect(third.status).toBe(429);
    expect(((await third.json()) as Envelope).error).toMatchObject({ code: "QuotaExceeded", data: { quota: "calls", limit: 2 } });
  });
});

describe("MCP goes through the same steps", () => {
  const mcp = async (as: string, path: string) => {
    const client = newClient("2025-11-25");
    await client.connect(new StreamableHTTPClientTransport(new URL(`${rt.url}${path}`), { requestInit: { headers: { authorization: `Bearer ${tokens.get(as) ?? ""}` } } }));
    return client;
  };

  it("/mcp/{pkg}/{channel} serves each tenant its channel's version", async () => {
    const split = { versions: [{ version: "1.0.0", weight: 50 }, { version: "1.1.0", weight: 50 }], pins: {} };
    expect((await call("operator", "SetChannel", { pkg: PKG, channel: "mcp", ...split })).status).toBe(200);
    for (const tenant of TENANTS.slice(0, 6)) {
      const client = await mcp(tenant, `/mcp/${PKG}/mcp`);
      try {
        const result = await client.callTool({ name: "greet", arguments: { who: tenant } });
        expect(result.isError ?? false).toBe(false);
        expect(result.structuredContent).toMatchObject({ version: assignVersion(tenant, PKG, "mcp", split) });
      } finally {
        await client.close();
      }
    }
  });

  it("a tenant over its quota gets QuotaExceeded with retry_after_s as the tool's error", async () => {
    const client = await mcp(QUOTA_TENANT, `/mcp/${PKG}`);
    try {
      const result = await client.callTool({ name: "greet", arguments: { who: "q" } });
      expect(result.isError).toBe(true);
      expect(result._meta?.["hiagent/error"]).toMatchObject({ code: "QuotaExceeded", data: { quota: "calls", retry_after_s: expect.any(Number) } });
    } finally {
      await client.close();
    }
  });
});
