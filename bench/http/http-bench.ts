// bench/http: RunPluginTool on a warm echo tool against a bare Hono route (on
// @hono/node-server) answering the same JSON, each server in its own process, both
// warmed up, then loaded by autocannon from this process on loopback with the same
// connections and duration (rounds alternate, so load from elsewhere falls on both).
// Then SSE chunks/s:
// clients reading the stream of a tool that yields N chunks.
// Judged (SPEC §10): ours ≥ 60 % of the bare route's requests/s.
// Run: npm run bench -- http   (BENCH_QUICK=1 for a short smoke run)
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BENCH_PLUGIN, BENCH_VERSION, ECHO_INPUT, ECHO_PLUGIN, installWithOwnSandbox } from "../bench-packages.ts";
import { printTable } from "../bench-table.ts";
import { loadWithAutocannon, postLatency, readSseStreams, type Throughput } from "../http-load.ts";
import { printMachineFacts } from "../machine-facts.ts";
import { freePort, startRuntimeProcess } from "../runtime-process.ts";

const QUICK = process.env.BENCH_QUICK === "1";
const CONNECTIONS = 10;
const SECONDS = QUICK ? 2 : 5;
const ROUNDS = QUICK ? 1 : 3;
/** autocannon on each server before the measured rounds: a fresh server needs seconds of load to be JIT-warm. */
const WARMUP_SECONDS = QUICK ? 2 : 3;
const SSE_CHUNKS = QUICK ? 2_000 : 10_000;
const SSE_STREAMS = [1, 4] as const;
const PATH = "/v1/RunPluginTool";
const PKG = "bench_http_echo";
const BARE_SERVER = fileURLToPath(new URL("./bare-route-server.ts", import.meta.url));

interface Server {
  origin: string;
  close(): Promise<void>;
}

async function startBareServer(): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), BARE_SERVER, String(port)], { stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const origin = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    try {
      await postLatency(origin, PATH, callBody(false), 1);
      break;
    } catch {
      if (tries > 300 || child.exitCode !== null) throw new Error("the bare route server did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    origin,
    async close() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function callBody(stream: boolean, tool = "echo", input = ECHO_INPUT): string {
  return `{"pkg":"${PKG}","version":"${BENCH_VERSION}","plugin":"${BENCH_PLUGIN}","tool":"${tool}","input":${input},"cfg":null,"stream":${stream}}`;
}

async function main(): Promise<void> {
  printMachineFacts("http", QUICK);
  console.log(`  autocannon: ${CONNECTIONS} connections, ${SECONDS} s per run after ${WARMUP_SECONDS} s of warm-up, ${ROUNDS} round(s), each server in its own process`);
  const root = await mkdtemp(join(tmpdir(), "hiagent-bench-http-"));
  const extensionsDir = join(root, "extensions");
  try {
    await installWithOwnSandbox(PKG, ECHO_PLUGIN, { workDir: root, extensionsDir });

    // Both servers stay up for every round (an idle one costs nothing), so each is JIT-warm
    // from its warm-up on and the rounds alternate between two steady servers.
    const bare = await startBareServer();
    // Default config (2 sandbox processes, logging at info), logs to /dev/null.
    const runtime = await startRuntimeProcess({ cwd: root, env: { HIAGENT_EXTENSIONS_DIR: extensionsDir } });
    const runs: { server: string; r: Throughput }[] = [];
    try {
      const targets = [
        { server: "bare Hono route", url: `${bare.origin}${PATH}` },
        { server: "runtime RunPluginTool", url: `${runtime.url}${PATH}` },
      ];
      await postLatency(runtime.url, PATH, callBody(false), 200);
      for (const t of targets) await loadWithAutocannon(t.url, callBody(false), { connections: CONNECTIONS, seconds: WARMUP_SECONDS });
      for (let round = 0; round < ROUNDS; round++) {
        for (const t of targets) runs.push({ server: t.server, r: await loadWithAutocannon(t.url, callBody(false), { connections: CONNECTIONS, seconds: SECONDS }) });
      }
    } finally {
      await bare.close();
      await runtime.close();
    }
    printTable(
      `Requests/s, autocannon from a second process (${CONNECTIONS} connections, ${SECONDS} s)`,
      ["server", "round", "requests/s", "latency p50 ms", "latency p99 ms", "requests", "failures"],
      runs.map(({ server, r }, i) => [server, String(Math.floor(i / 2) + 1), r.requestsPerSec, String(r.p50ms), String(r.p99ms), String(r.total), String(r.failures)]),
    );

    // SSE: a fresh runtime, so the stream figures do not inherit the load above.
    const sseRuntime = await startRuntimeProcess({ cwd: root, env: { HIAGENT_EXTENSIONS_DIR: extensionsDir } });
    const sseRows: (string | number)[][] = [];
    try {
      const sseBody = callBody(true, "count", JSON.stringify({ n: SSE_CHUNKS }));
      await readSseStreams(sseRuntime.url, PATH, callBody(true, "count", JSON.stringify({ n: 100 })), 1);
      for (const streams of SSE_STREAMS) {
        const r = await readSseStreams(sseRuntime.url, PATH, sseBody, streams);
        if (r.chunks !== SSE_CHUNKS * streams) throw new Error(`expected ${SSE_CHUNKS * streams} chunks, read ${r.chunks}`);
        sseRows.push([String(streams), String(SSE_CHUNKS), r.seconds * 1000, r.chunksPerSec]);
      }
    } finally {
      await sseRuntime.close();
    }
    printTable(`SSE: streams of ${SSE_CHUNKS.toLocaleString("en-US")} chunks ({"i": n}) read to their end event`, ["streams at once", "chunks each", "ms", "chunks/s"], sseRows);

    const mean = (server: string) => {
      const rs = runs.filter((x) => x.server === server).map((x) => x.r.requestsPerSec);
      return rs.reduce((a, b) => a + b, 0) / rs.length;
    };
    const ratio = mean("runtime RunPluginTool") / mean("bare Hono route");
    printTable("Judged figures (SPEC §10)", ["figure", "value", "target", "met"], [
      ["runtime requests/s (mean of rounds)", mean("runtime RunPluginTool"), "", ""],
      ["bare route requests/s (mean of rounds)", mean("bare Hono route"), "", ""],
      ["ratio runtime / bare route", `${(ratio * 100).toFixed(1)} %`, "≥ 60 %", ratio >= 0.6 ? "yes" : "NO"],
    ]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
