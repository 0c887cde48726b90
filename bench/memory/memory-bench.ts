// bench/memory: what warm isolates cost in resident memory. First the slope: the RSS
// of the sandbox processes with 0, 50 and 100 warm isolates of a small plugin (one per
// tenant), in MB per isolate. Then the deployment figure: a runtime (its own process,
// as `npm start` runs it) with 1000 installed packages and 100 of them warm, total RSS
// of the API process and its sandbox processes.
// Judged (SPEC §10): ≤ 3 MB per warm small-plugin isolate; 1000 installed, 100 warm ≤ 1 GB.
// Run: npm run bench -- memory   (BENCH_QUICK=1 for a short smoke run)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSandbox, SandboxOptionsSchema } from "../../sandbox/index.ts";
import { BENCH_PLUGIN, BENCH_VERSION, cloneMany, ECHO_INPUT, ECHO_PLUGIN, installBenchPackage, installWithOwnSandbox } from "../bench-packages.ts";
import { percentile, printTable } from "../bench-table.ts";
import { postLatency } from "../http-load.ts";
import { printMachineFacts } from "../machine-facts.ts";
import { startRuntimeProcess } from "../runtime-process.ts";
import { MB, rssBytes, sandboxRssBytes } from "./process-rss.ts";

const QUICK = process.env.BENCH_QUICK === "1";
const STEPS = [0, 50, 100] as const;
const INSTALLED = 1000;
const WARM = 100;
/** Lets the sandbox processes settle (spare refills, GC of call garbage) before a reading. */
const SETTLE_MS = QUICK ? 1000 : 3000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function perIsolateSlope(root: string): Promise<{ slope: number; rows: (string | number)[][] }> {
  const sandbox = createSandbox(SandboxOptionsSchema.parse({ processes: 2, max_isolates: 400 }));
  try {
    await sandbox.start();
    const pkg = await installBenchPackage(sandbox, "bench_mem_small", ECHO_PLUGIN, { workDir: root, extensionsDir: join(root, "extensions-slope") });
    const call = { pkg: pkg.name, version: pkg.version, dir: pkg.dir, artifacts: pkg.artifacts, plugin: BENCH_PLUGIN, tool: "echo", inputJson: ECHO_INPUT, cfgJson: "null" };
    // As an install does: the package spares then exist at every reading, not only at the later ones.
    sandbox.preparePackage({ pkg: pkg.name, version: pkg.version, dir: pkg.dir, artifacts: pkg.artifacts });
    const rows: (string | number)[][] = [];
    const readings = new Map<number, number>();
    const heapPeaks: number[] = [];
    let warm = 0;
    for (const step of STEPS) {
      for (; warm < step; warm++) {
        const r = await sandbox.runTool({ ...call, tenant: `mem-${warm}` });
        heapPeaks.push(r.usage.heap_peak_bytes);
      }
      await sleep(SETTLE_MS);
      const pids = sandbox.pids();
      const perProcess = await Promise.all(pids.map((p) => (p === null ? 0 : sandboxRssBytes(p))));
      const total = perProcess.reduce((a, b) => a + b, 0);
      readings.set(step, total);
      rows.push([String(step), total / MB, perProcess.map((b) => (b / MB).toFixed(1)).join(" + ")]);
    }
    const slope = (readings.get(100)! - readings.get(0)!) / 100 / MB;
    const heap = percentile(heapPeaks.sort((a, b) => a - b), 50) / MB;
    rows.push(["slope 0→100", `${slope.toFixed(2)} MB / isolate`, `V8 heap of one isolate after a call (median heap_peak): ${heap.toFixed(2)} MB`]);
    return { slope, rows };
  } finally {
    await sandbox.close();
  }
}

async function deployment(root: string): Promise<{ total: number; rows: (string | number)[][] }> {
  const seed = await installWithOwnSandbox("bench_mem_seed", ECHO_PLUGIN, { workDir: root, extensionsDir: join(root, "seed") });
  const extensionsDir = join(root, "extensions-deploy");
  await cloneMany(seed, extensionsDir, "bench_mem_", INSTALLED);
  // max_isolates is split across the 2 sandbox processes by a hash of tenant + package;
  // 128 (64 each) leaves room for the hash's imbalance, so none of the 100 is evicted.
  // Debug logging, to count cold starts: more than one per package means one was evicted.
  let coldStarts = 0;
  const runtime = await startRuntimeProcess({
    cwd: root,
    env: { HIAGENT_EXTENSIONS_DIR: extensionsDir, HIAGENT_SANDBOX__MAX_ISOLATES: "128", HIAGENT_LOG_LEVEL: "debug" },
    onLogLine: (line) => {
      if (line.includes('"isolate cold start"')) coldStarts++;
    },
  });
  try {
    const bodyOf = (i: number) => `{"pkg":"bench_mem_${i}","version":"${BENCH_VERSION}","plugin":"${BENCH_PLUGIN}","tool":"echo","input":${ECHO_INPUT}}`;
    const idleSandboxes = await Promise.all((await runtime.sandboxProcesses()).map((p) => (p.pid === null ? 0 : sandboxRssBytes(p.pid))));
    const idle = (await rssBytes(runtime.pid)) + idleSandboxes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < WARM; i++) {
      const r = await postLatency(runtime.url, "/v1/RunPluginTool", bodyOf(i), 1);
      if (r.failures > 0) throw new Error(`call to bench_mem_${i} failed`);
    }
    // A second pass: every package is still warm unless it starts cold again.
    const firstPass = coldStarts;
    for (let i = 0; i < WARM; i++) await postLatency(runtime.url, "/v1/RunPluginTool", bodyOf(i), 1);
    await sleep(SETTLE_MS);
    const reloaded = coldStarts - firstPass;
    const sandboxes = await runtime.sandboxProcesses();
    const api = await rssBytes(runtime.pid);
    const children = await Promise.all(sandboxes.map((p) => (p.pid === null ? 0 : sandboxRssBytes(p.pid))));
    const total = api + children.reduce((a, b) => a + b, 0);
    return {
      total,
      rows: [
        ["after start, 0 warm", String(INSTALLED), "-", "-", idle / MB],
        [`${WARM} warm (cold starts: ${firstPass}, then ${reloaded} on a second pass)`, String(INSTALLED), api / MB, children.map((b) => (b / MB).toFixed(1)).join(" + "), total / MB],
      ],
    };
  } finally {
    await runtime.close();
  }
}

async function main(): Promise<void> {
  printMachineFacts("memory", QUICK);
  const root = await mkdtemp(join(tmpdir(), "hiagent-bench-memory-"));
  try {
    const slope = await perIsolateSlope(root);
    printTable("RSS of the 2 sandbox processes by warm small-plugin isolates (one tenant each), MB", ["warm isolates", "total MB", "per process MB"], slope.rows);
    const deploy = await deployment(root);
    printTable(`Runtime with ${INSTALLED} installed packages (default config, max_isolates 128), RSS MB`, ["state", "installed", "API process MB", "sandbox processes MB", "total MB"], deploy.rows);
    const totalMb = deploy.total / MB;
    printTable("Judged figures (SPEC §10)", ["figure", "value", "target", "met"], [
      ["MB per warm small-plugin isolate (slope 0→100)", slope.slope, "≤ 3", slope.slope <= 3 ? "yes" : "NO"],
      [`total RSS, ${INSTALLED} installed, ${WARM} warm (MB)`, totalMb, "≤ 1024", totalMb <= 1024 ? "yes" : "NO"],
    ]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
