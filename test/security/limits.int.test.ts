// Limits (SPEC §4, §9.1, §9.4): time, memory, stack, output, logs and streams, each
// pushed past its cap by a real package installed through the API of a running
// server. Every call ends with its exact error code, a clean calculator call still
// succeeds, the sandbox processes are up (restarted where a bomb killed one), and the
// server's own memory stays bounded, a slow SSE reader included.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSse } from "../e2e/api-test-client.ts";
import { PLUGIN, pluginZip, zipName, type PluginPackageSpec } from "./hostile-packages.ts";
import { RSS_HEADROOM_BYTES, startSecurityServer, type Caller, type SecurityServer } from "./security-server.ts";
import { openSse } from "./sse-client.ts";
import { startCountingUpstream, type CountingUpstream } from "./upstreams.ts";

const TIMEOUT_MS = 1500;
const MAX_LOG_LINES = 50;
const STREAM_HIGH_WATER = 4;

let server: SecurityServer;
let upstream: CountingUpstream;
let rssBefore = 0;

const LIMITS: PluginPackageSpec = {
  name: "sec_limits",
  tools: `
    syncLoop: defineTool({ run() { for (;;) {} } }),
    microtaskLoopAfterFetch: defineTool({ input: z.object({ url: z.string() }), async run({ url }, ctx) {
      await (await ctx.fetch(url)).text();
      for (;;) { await null; }
    } }),
    timerLoop: defineTool({ run() { return new Promise(() => { const tick = () => setTimeout(tick, 0); tick(); }); } }),
    microtaskLoop: defineTool({ run() { const f = () => queueMicrotask(f); f(); return "never"; } }),
    promiseChain: defineTool({ async run() { const grow = () => Promise.resolve().then(grow); await grow(); } }),
    deepRecursion: defineTool({ run() { const down = (n) => down(n + 1) + 1; return down(0); } }),
    arrayBomb: defineTool({ run: () => new Array(1e9).fill(0).length }),
    typedBomb: defineTool({ run() { const kept = []; for (let i = 0; i < 64; i++) kept.push(new Float64Array(16 * 1024 * 1024)); return kept.length; } }),
    stringBomb: defineTool({ run() { let s = "x"; for (;;) s += s; } }),
    hugeOutput: defineTool({ run: () => "y".repeat(12 * 1024 * 1024) }),
    hugeChunk: defineTool({ stream: true, *run() { yield "ok"; yield "z".repeat(12 * 1024 * 1024); } }),
    logFlood: defineTool({ run(_input, ctx) {
      const line = "flood ".repeat(1000);
      for (let i = 0; i < 2000; i++) { console.log(line); ctx.log.info(line); }
      return "flooded";
    } }),
    forever: defineTool({ stream: true, *run() { for (let i = 0; ; i++) yield i; } }),
    fastBig: defineTool({ stream: true, *run() {
      const chunk = "b".repeat(256 * 1024);
      globalThis.produced = 0;
      for (;;) { globalThis.produced++; yield chunk; }
    } }),
    produced: defineTool({ run: () => globalThis.produced ?? 0 }),
    ok: defineTool({ run: () => "ok" }),
  `,
};

const run = (as: Caller, tool: string, input: object = {}) =>
  server.call(as, "RunPluginTool", { pkg: LIMITS.name, version: "1.0.0", plugin: PLUGIN, tool, input });

async function failsWith(tool: string, codes: string[], input: object = {}, as: Caller = "a"): Promise<string> {
  const started = Date.now();
  const res = await run(as, tool, input);
  expect(res.body.data).toBeNull();
  expect(codes, `${tool}: ${JSON.stringify(res.body.error)}`).toContain(res.body.error?.code);
  expect(res.status).toBe(res.body.error?.http_code);
  // Every limit ends the call well within a few of its time limits, however it is hit.
  expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 6);
  await server.sandboxUp();
  await server.calculatorWorks(as);
  return res.body.error?.message ?? "";
}

beforeAll(async () => {
  upstream = await startCountingUpstream((_req, res) => res.end("fetched"));
  server = await startSecurityServer(
    {
      HIAGENT_SANDBOX__FETCH__ALLOW_PRIVATE_ORIGINS: JSON.stringify([upstream.origin]),
      HIAGENT_SANDBOX__MAX_LOG_LINES: String(MAX_LOG_LINES),
      HIAGENT_SANDBOX__STREAM_HIGH_WATER: String(STREAM_HIGH_WATER),
    },
    { captureLogs: true },
  );
  await server.calculatorWorks();
  rssBefore = server.rss();
  const spec = { ...LIMITS, fetch: [upstream.origin] };
  const res = await server.install(await pluginZip(spec), zipName(spec));
  expect(res.status, JSON.stringify(res.body.error)).toBe(200);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

describe("time", () => {
  it("a synchronous loop ends with ToolTimeout", async () => {
    expect(await failsWith("syncLoop", ["ToolTimeout"])).toMatch(/time limit/);
  });

  it("a microtask loop after an awaited fetch ends with ToolTimeout (the watchdog, not run's timeout)", async () => {
    await failsWith("microtaskLoopAfterFetch", ["ToolTimeout"], { url: `${upstream.origin}/then-spin` });
    expect(upstream.requests.some((r) => r.endsWith("/then-spin"))).toBe(true);
  });

  it("a microtask loop that allocates nothing ends with ToolTimeout, and the server serves after", async () => {
    expect(await failsWith("microtaskLoop", ["ToolTimeout"])).toMatch(/time limit/);
  });

  it("a promise chain that grows without end ends with ToolTimeout or ToolMemoryLimit, and the server serves after", async () => {
    await failsWith("promiseChain", ["ToolTimeout", "ToolMemoryLimit"]);
  });

  it("a timer loop ends with ToolTimeout", async () => {
    await failsWith("timerLoop", ["ToolTimeout"]);
  });

  it("deep recursion is the plugin's own ToolError (stack overflow), never a crash", async () => {
    expect(await failsWith("deepRecursion", ["ToolError"])).toMatch(/Maximum call stack size exceeded/);
  });
});

describe("memory", () => {
  it("new Array(1e9).fill(0) ends with ToolMemoryLimit; a killed sandbox process is restarted", async () => {
    await failsWith("arrayBomb", ["ToolMemoryLimit"]);
  });

  it("typed arrays past the isolate's limit end with ToolMemoryLimit", async () => {
    await failsWith("typedBomb", ["ToolMemoryLimit"]);
  });

  it("string doubling ends at V8's string limit (ToolError) or the memory limit", async () => {
    await failsWith("stringBomb", ["ToolError", "ToolMemoryLimit"]);
  });

  it("a result over max_payload_bytes is refused in the sandbox, as is a stream chunk", async () => {
    expect(await failsWith("hugeOutput", ["ToolError"])).toMatch(/larger than/);
    const res = await server.post("a", "RunPluginTool", { pkg: LIMITS.name, version: "1.0.0", plugin: PLUGIN, tool: "hugeChunk", stream: true });
    const events = parseSse(await res.text());
    expect(JSON.parse(events[0]?.data ?? "null")).toEqual({ data: "ok", error: null });
    expect(JSON.parse(events[1]?.data ?? "null")).toMatchObject({ data: null, error: { code: "ToolError" } });
    expect(events.at(-1)?.event).toBe("end");
  });
});

describe("logs", () => {
  it("a log flood keeps max_log_lines per call, truncated, and says how many it dropped", async () => {
    const res = await run("b", "logFlood");
    expect(res.body).toEqual({ data: "flooded", error: null });
    const callId = res.headers.get("x-request-id");
    const lines = server.rt.logs.filter((l) => l.call_id === callId && l.source === "plugin");
    const kept = lines.filter((l) => typeof l.msg === "string" && l.msg.startsWith("flood"));
    expect(kept.length).toBe(MAX_LOG_LINES);
    for (const line of kept) expect((line.msg as string).length).toBeLessThan(4096 + 64);
    expect(lines.some((l) => /3950 log lines dropped/.test(String(l.msg)))).toBe(true);
    await server.calculatorWorks("b");
  });
});

describe("streams", () => {
  it("a generator that yields forever is cut at the time limit: the stream ends with ToolTimeout, then end", async () => {
    const res = await server.post("a", "RunPluginTool", { pkg: LIMITS.name, version: "1.0.0", plugin: PLUGIN, tool: "forever", stream: true });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const events = parseSse(await res.text());
    expect(events.length).toBeGreaterThan(10);
    expect(JSON.parse(events.at(-2)?.data ?? "null")).toMatchObject({ data: null, error: { code: "ToolTimeout" } });
    expect(events.at(-1)?.event).toBe("end");
    await server.calculatorWorks("a");
  });

  it("a slow SSE reader holds a fast generator back: the producer waits, the server's memory stays flat", async () => {
    const rssStart = server.rss();
    const conn = await openSse(
      `${server.rt.url}/v1/RunPluginTool`,
      { pkg: LIMITS.name, version: "1.0.0", plugin: PLUGIN, tool: "fastBig", stream: true },
      { authorization: `Bearer ${server.tokens.b}` },
    );
    expect(conn.response.statusCode).toBe(200);
    // Not reading for most of the time limit: without backpressure the generator would
    // push ~GBs of 256 KB chunks into the server by now.
    await new Promise((r) => setTimeout(r, TIMEOUT_MS * 0.6));
    const produced = (await run("b", "produced")).body.data as number;
    const rssPaused = server.rss();
    // What the socket buffers hold (a few MB on loopback), plus the stream's window.
    expect(produced).toBeGreaterThan(0);
    expect(produced).toBeLessThan(100);
    expect(rssPaused - rssStart).toBeLessThan(100 * 1024 * 1024);
    // Read on, the generator resumes until the time limit cuts it.
    const events = parseSse(await conn.readToEnd());
    expect(JSON.parse(events.at(-2)?.data ?? "null")).toMatchObject({ data: null, error: { code: "ToolTimeout" } });
    expect(events.at(-1)?.event).toBe("end");
    await server.calculatorWorks("b");
  });

  it("a client that hangs up stops the generator", async () => {
    const conn = await openSse(
      `${server.rt.url}/v1/RunPluginTool`,
      { pkg: LIMITS.name, version: "1.0.0", plugin: PLUGIN, tool: "fastBig", stream: true },
      { authorization: `Bearer ${server.tokens.admin}` },
    );
    await new Promise((r) => setTimeout(r, 100));
    conn.close();
    await new Promise((r) => setTimeout(r, 300));
    // The counter lives in the isolate: it stays put once the generator stopped, or starts
    // again from nothing when the sandbox threw the stopped call's isolate away. Either
    // way a generator still running would make it grow.
    const first = (await run("admin", "produced")).body.data as number;
    await new Promise((r) => setTimeout(r, 300));
    const second = (await run("admin", "produced")).body.data as number;
    expect(second).toBeLessThanOrEqual(first);
  });
});

describe("aftermath", () => {
  it("every sandbox process is up and the server's memory came back", async () => {
    const health = await server.sandboxUp();
    expect(health.components.sandbox?.processes?.every((p) => p.state === "ok")).toBe(true);
    await server.calculatorWorks("a");
    expect((await run("b", "ok")).body.data).toBe("ok");
    expect(server.rss() - rssBefore).toBeLessThan(RSS_HEADROOM_BYTES);
  });
});
