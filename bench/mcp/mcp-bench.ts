// bench/mcp: the same warm echo tool called through MCP (`tools/call` on
// `POST /mcp/{pkg}/{version}`, protocol 2025-11-25, stateless: no initialize, one
// JSON-RPC request per HTTP request) and through RunPluginTool, on one runtime in its
// own process, loaded by autocannon from this process on loopback with the same
// connections and duration (rounds alternate, so load from elsewhere falls on both).
// Judged: MCP ≥ 80 % of RunPluginTool's requests/s.
// Run: npx tsx bench/mcp/mcp-bench.ts   (BENCH_QUICK=1 for a short smoke run)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_PLUGIN, BENCH_VERSION, ECHO_INPUT, ECHO_PLUGIN, installWithOwnSandbox } from "../bench-packages.ts";
import { printTable } from "../bench-table.ts";
import { loadWithAutocannon, postLatency, type Throughput } from "../http-load.ts";
import { printMachineFacts } from "../machine-facts.ts";
import { startRuntimeProcess } from "../runtime-process.ts";

const QUICK = process.env.BENCH_QUICK === "1";
const CONNECTIONS = 10;
const SECONDS = QUICK ? 2 : 5;
const ROUNDS = QUICK ? 1 : 3;
const WARMUP_SECONDS = QUICK ? 2 : 3;
const PKG = "bench_mcp_echo";
const V1_PATH = "/v1/RunPluginTool";
const MCP_PATH = `/mcp/${PKG}/${BENCH_VERSION}`;
const MCP_HEADERS = { accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" };

const v1Body = `{"pkg":"${PKG}","version":"${BENCH_VERSION}","plugin":"${BENCH_PLUGIN}","tool":"echo","input":${ECHO_INPUT},"cfg":null,"stream":false}`;
const mcpBody = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":${ECHO_INPUT}}}`;

async function checkMcpAnswer(origin: string): Promise<void> {
  const res = await fetch(`${origin}${MCP_PATH}`, { method: "POST", headers: { "content-type": "application/json", ...MCP_HEADERS }, body: mcpBody });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('"structuredContent"')) throw new Error(`MCP tools/call answered ${res.status}: ${text.slice(0, 300)}`);
}

async function main(): Promise<void> {
  printMachineFacts("mcp", QUICK);
  console.log(`  autocannon: ${CONNECTIONS} connections, ${SECONDS} s per run after ${WARMUP_SECONDS} s of warm-up, ${ROUNDS} round(s); one runtime in its own process`);
  const root = await mkdtemp(join(tmpdir(), "hiagent-bench-mcp-"));
  const extensionsDir = join(root, "extensions");
  try {
    await installWithOwnSandbox(PKG, ECHO_PLUGIN, { workDir: root, extensionsDir });
    const runtime = await startRuntimeProcess({ cwd: root, env: { HIAGENT_EXTENSIONS_DIR: extensionsDir } });
    const runs: { path: string; r: Throughput }[] = [];
    try {
      await postLatency(runtime.url, V1_PATH, v1Body, 200);
      await checkMcpAnswer(runtime.url);
      const targets = [
        { path: "RunPluginTool", url: `${runtime.url}${V1_PATH}`, body: v1Body, headers: {} },
        { path: "MCP tools/call", url: `${runtime.url}${MCP_PATH}`, body: mcpBody, headers: MCP_HEADERS },
      ];
      for (const t of targets) await loadWithAutocannon(t.url, t.body, { connections: CONNECTIONS, seconds: WARMUP_SECONDS, headers: t.headers });
      for (let round = 0; round < ROUNDS; round++) {
        for (const t of targets) {
          runs.push({ path: t.path, r: await loadWithAutocannon(t.url, t.body, { connections: CONNECTIONS, seconds: SECONDS, headers: t.headers }) });
        }
      }
    } finally {
      await runtime.close();
    }
    printTable(
      `Requests/s on the warm echo tool, autocannon from a second process (${CONNECTIONS} connections, ${SECONDS} s)`,
      ["path", "round", "requests/s", "latency p50 ms", "latency p99 ms", "requests", "failures"],
      runs.map(({ path, r }, i) => [path, String(Math.floor(i / 2) + 1), r.requestsPerSec, String(r.p50ms), String(r.p99ms), String(r.total), String(r.failures)]),
    );
    const mean = (path: string, pick: (r: Throughput) => number) => {
      const rs = runs.filter((x) => x.path === path).map((x) => pick(x.r));
      return rs.reduce((a, b) => a + b, 0) / rs.length;
    };
    const rps = (path: string) => mean(path, (r) => r.requestsPerSec);
    const ratio = rps("MCP tools/call") / rps("RunPluginTool");
    printTable("Side by side (mean of rounds)", ["path", "requests/s", "latency p50 ms", "latency p99 ms"], [
      ["RunPluginTool", rps("RunPluginTool"), mean("RunPluginTool", (r) => r.p50ms), mean("RunPluginTool", (r) => r.p99ms)],
      ["MCP tools/call", rps("MCP tools/call"), mean("MCP tools/call", (r) => r.p50ms), mean("MCP tools/call", (r) => r.p99ms)],
    ]);
    printTable("Judged figure", ["figure", "value", "target", "met"], [["MCP / RunPluginTool requests/s", `${(ratio * 100).toFixed(1)} %`, "≥ 80 %", ratio >= 0.8 ? "yes" : "NO"]]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
