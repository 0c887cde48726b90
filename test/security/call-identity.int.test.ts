// Call identity (SPEC §5, §10): a call's identity inside the runtime is minted by the
// runtime, never taken from the client. The `X-Request-Id` a client sends is a label
// for logs only, so two calls sent with the same request id at the same time, by two
// tenants or by one, in one sandbox process, are fully independent: each stream gets
// its own chunks built from its own cfg, each in-flight fetch completes, each log line
// is tagged with its own tenant, and each receipt counts its own fetches.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSse } from "../e2e/api-test-client.ts";
import { PLUGIN, pluginZip, zipName, type PluginPackageSpec } from "./hostile-packages.ts";
import { startSecurityServer, TENANT_OF, type Caller, type SecurityServer } from "./security-server.ts";
import { openSse } from "./sse-client.ts";
import { startCountingUpstream, type CountingUpstream } from "./upstreams.ts";

const CHUNKS = 4;

let server: SecurityServer;
let upstream: CountingUpstream;

const ECHO: PluginPackageSpec = {
  name: "sec_call_identity",
  tools: `
    relay: defineTool({ stream: true, input: z.object({ url: z.string(), label: z.string() }), async *run({ url, label }, ctx) {
      const mark = (ctx.cfg && ctx.cfg.mark) || "none";
      ctx.log.info("relay " + label + " " + mark);
      for (let i = 0; i < ${CHUNKS}; i++) {
        const body = await (await ctx.fetch(url + "?label=" + label + "&i=" + i)).text();
        yield mark + ":" + label + ":" + i + ":" + body;
      }
    } }),
  `,
};

beforeAll(async () => {
  // The upstream answers slowly, so both calls are in flight at once.
  upstream = await startCountingUpstream((req, res) => setTimeout(() => res.end(`up-${new URL(req.url ?? "/", "http://x").searchParams.get("label")}`), 60));
  server = await startSecurityServer(
    // One sandbox process, so both calls share its map of running calls.
    { HIAGENT_SANDBOX__PROCESSES: "1", HIAGENT_SANDBOX__FETCH__ALLOW_PRIVATE_ORIGINS: JSON.stringify([upstream.origin]) },
    { captureLogs: true },
  );
  const spec = { ...ECHO, fetch: [upstream.origin] };
  const res = await server.install(await pluginZip(spec), zipName(spec));
  expect(res.status, JSON.stringify(res.body.error)).toBe(200);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

async function relay(as: Caller, label: string, requestId: string): Promise<string[]> {
  const conn = await openSse(
    `${server.rt.url}/v1/RunPluginTool`,
    { pkg: ECHO.name, version: "1.0.0", plugin: PLUGIN, tool: "relay", input: { url: `${upstream.origin}/r`, label }, cfg: { mark: `cfg-${label}` }, stream: true },
    { authorization: `Bearer ${server.tokens[as]}`, "x-request-id": requestId },
  );
  const events = parseSse(await conn.readToEnd());
  return events.filter((e) => e.event !== "end").map((e) => {
    const body = JSON.parse(e.data) as { data: unknown; error: unknown };
    return body.error === null ? String(body.data) : `error: ${JSON.stringify(body.error)}`;
  });
}

async function linesOf(requestId: string, count: number, match: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>[]> {
  let lines: Record<string, unknown>[] = [];
  for (let i = 0; i < 100; i++) {
    lines = server.rt.logs.filter((l) => (l.call_id === requestId || l.req_id === requestId) && match(l));
    if (lines.length >= count) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return lines;
}

const expected = (label: string) => Array.from({ length: CHUNKS }, (_, i) => `cfg-${label}:${label}:${i}:up-${label}`);

async function sameIdTwice(callers: [Caller, Caller], requestId: string): Promise<void> {
  const [one, two] = await Promise.all([relay(callers[0], "one", requestId), relay(callers[1], "two", requestId)]);
  expect(one).toEqual(expected("one"));
  expect(two).toEqual(expected("two"));

  const relayLines = await linesOf(requestId, 2, (l) => l.source === "plugin" && typeof l.msg === "string" && l.msg.startsWith("relay "));
  const tenantOfLabel = Object.fromEntries(relayLines.map((l) => [String(l.msg).split(" ")[1], l.tenant]));
  expect(tenantOfLabel).toEqual({ one: TENANT_OF[callers[0]], two: TENANT_OF[callers[1]] });

  // Each call's fetches are its own: one "plugin fetch" line per fetch, with its tenant.
  const fetchLines = await linesOf(requestId, 2 * CHUNKS, (l) => l.msg === "plugin fetch");
  expect(fetchLines).toHaveLength(2 * CHUNKS);
  expect(fetchLines.every((l) => l.status === 200 && l.refused === false)).toBe(true);

  // Each receipt counts its own fetches.
  const receipts = await linesOf(requestId, 2, (l) => l.msg === "stream usage");
  expect(receipts.map((l) => (l.usage as { fetch_count: number }).fetch_count)).toEqual([CHUNKS, CHUNKS]);
  expect(receipts.map((l) => l.tenant).sort()).toEqual([TENANT_OF[callers[0]], TENANT_OF[callers[1]]].sort());
}

describe("a client's request id is never a call's identity", () => {
  it("two tenants' streaming calls with fetches, sent with the same X-Request-Id at once, are fully independent", async () => {
    await sameIdTwice(["a", "b"], "shared-request-id-1");
  });

  it("one tenant's two streaming calls with the same X-Request-Id at once are fully independent", async () => {
    await sameIdTwice(["a", "a"], "shared-request-id-2");
  });
});
