// Where a RunPluginTool request spends its time in the API process: a CPU profile of
// the runtime (its own process, default config) while autocannon loads the warm echo
// tool from this process, and one while a single connection calls it one request at a
// time, each summarised as the top functions by self time. Not part of `npm run bench`.
// Run: npx tsx bench/http/http-profile.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_PLUGIN, BENCH_VERSION, ECHO_INPUT, ECHO_PLUGIN, installWithOwnSandbox } from "../bench-packages.ts";
import { printTable } from "../bench-table.ts";
import { loadWithAutocannon, postLatency } from "../http-load.ts";
import { openInspector, profileRemote, topSelfTime } from "../inspector-profile.ts";
import { printMachineFacts } from "../machine-facts.ts";
import { freePort, startRuntimeProcess } from "../runtime-process.ts";

const PKG = "bench_http_echo";
const BODY = `{"pkg":"${PKG}","version":"${BENCH_VERSION}","plugin":"${BENCH_PLUGIN}","tool":"echo","input":${ECHO_INPUT},"cfg":null}`;

async function main(): Promise<void> {
  printMachineFacts("http profile", false);
  const root = await mkdtemp(join(tmpdir(), "hiagent-bench-http-profile-"));
  const extensionsDir = join(root, "extensions");
  try {
    await installWithOwnSandbox(PKG, ECHO_PLUGIN, { workDir: root, extensionsDir });
    const inspectPort = await freePort();
    const runtime = await startRuntimeProcess({ cwd: root, env: { HIAGENT_EXTENSIONS_DIR: extensionsDir }, execArgv: [`--inspect-port=127.0.0.1:${inspectPort}`] });
    try {
      await postLatency(runtime.url, "/v1/RunPluginTool", BODY, 500);
      const ws = await openInspector(runtime.pid, inspectPort);
      const header = ["function", "where", "self ms", "self %"];
      let seq: Awaited<ReturnType<typeof postLatency>> | undefined;
      const sequential = await profileRemote(ws, async () => {
        seq = await postLatency(runtime.url, "/v1/RunPluginTool", BODY, 3000);
      });
      console.log(`\none connection, sequential: p50 ${seq!.p50.toFixed(0)} µs, p99 ${seq!.p99.toFixed(0)} µs, ${Math.round(seq!.perSecond)} requests/s (profiling on)`);
      printTable("API process, sequential requests: top self time", header, topSelfTime(sequential, 25));
      let load: Awaited<ReturnType<typeof loadWithAutocannon>> | undefined;
      const loaded = await profileRemote(ws, async () => {
        load = await loadWithAutocannon(`${runtime.url}/v1/RunPluginTool`, BODY, { connections: 10, seconds: 5 });
      });
      console.log(`\nautocannon, 10 connections: ${Math.round(load!.requestsPerSec)} requests/s, p50 ${load!.p50ms} ms (profiling on)`);
      printTable("API process, 10 connections: top self time", header, topSelfTime(loaded, 25));
    } finally {
      await runtime.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
