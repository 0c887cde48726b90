// bench/scale: does a warm call slow down as packages pile up? Three runtimes (each
// in its own process, default config) with 1, 100 and 1000 installed packages; the
// same warm echo call through the HTTP API, since the package lookup is on that path.
// Batches alternate between the runtimes, so load from elsewhere falls on all alike.
// ListPackages is timed too (it reads every installed meta.json).
// Judged (SPEC §10): warm p50 with 1000 packages ≤ 1.2 × the p50 with one.
// Run: npm run bench -- scale   (BENCH_QUICK=1 for a short smoke run)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_PLUGIN, BENCH_VERSION, cloneMany, ECHO_INPUT, ECHO_PLUGIN, installWithOwnSandbox } from "../bench-packages.ts";
import { percentile, printTable } from "../bench-table.ts";
import { latencyStats, postLatency, postSamples } from "../http-load.ts";
import { printMachineFacts } from "../machine-facts.ts";
import { startRuntimeProcess, type RuntimeProcess } from "../runtime-process.ts";

const QUICK = process.env.BENCH_QUICK === "1";
const COUNTS = [1, 100, 1000] as const;
const BATCH = QUICK ? 250 : 500;
const ROUNDS = QUICK ? 4 : 6;
const LIST_CALLS = QUICK ? 5 : 20;
const PREFIX = "bench_scale_";

function body(pkg: string): string {
  return `{"pkg":"${pkg}","version":"${BENCH_VERSION}","plugin":"${BENCH_PLUGIN}","tool":"echo","input":${ECHO_INPUT},"cfg":null}`;
}

async function main(): Promise<void> {
  printMachineFacts("scale", QUICK);
  console.log(`  ${ROUNDS} rounds × ${BATCH} sequential calls per runtime (one keep-alive connection), batches interleaved`);
  const root = await mkdtemp(join(tmpdir(), "hiagent-bench-scale-"));
  const runtimes: { count: number; runtime: RuntimeProcess }[] = [];
  try {
    const seed = await installWithOwnSandbox(`${PREFIX}seed`, ECHO_PLUGIN, { workDir: root, extensionsDir: join(root, "seed") });
    for (const count of COUNTS) {
      const extensionsDir = join(root, `extensions-${count}`);
      const t = performance.now();
      await cloneMany(seed, extensionsDir, PREFIX, count);
      console.log(`  installed ${count} package(s) by copying in ${(performance.now() - t).toFixed(0)} ms`);
      runtimes.push({ count, runtime: await startRuntimeProcess({ cwd: root, env: { HIAGENT_EXTENSIONS_DIR: extensionsDir } }) });
    }

    const target = body(`${PREFIX}0`);
    for (const { runtime } of runtimes) await postLatency(runtime.url, "/v1/RunPluginTool", target, 300);
    const samples = new Map<number, number[]>(COUNTS.map((c) => [c, []]));
    const seconds = new Map<number, number>(COUNTS.map((c) => [c, 0]));
    let failures = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const { count, runtime } of runtimes) {
        const r = await postSamples(runtime.url, "/v1/RunPluginTool", target, BATCH);
        samples.get(count)!.push(...r.samples);
        seconds.set(count, seconds.get(count)! + r.seconds);
        failures += r.failures;
      }
    }
    if (failures > 0) throw new Error(`${failures} calls failed`);

    const listMs = new Map<number, number>();
    for (const { count, runtime } of runtimes) {
      const times: number[] = [];
      for (let i = 0; i < LIST_CALLS; i++) {
        const t = performance.now();
        const res = await fetch(`${runtime.url}/v1/ListPackages`, { method: "POST", body: "{}" });
        const listed = ((await res.json()) as { data: unknown[] }).data.length;
        times.push(performance.now() - t);
        if (listed !== count) throw new Error(`ListPackages answered ${listed} packages, expected ${count}`);
      }
      listMs.set(count, percentile(times.sort((a, b) => a - b), 50));
    }

    const stats = new Map(COUNTS.map((c) => [c, latencyStats(samples.get(c)!, seconds.get(c)!)]));
    printTable(
      "Warm RunPluginTool (echo) by installed packages, through HTTP from this process",
      ["installed packages", "calls", "p50 µs", "p99 µs", "calls/s", "ListPackages p50 ms"],
      COUNTS.map((c) => [String(c), String(samples.get(c)!.length), stats.get(c)!.p50, stats.get(c)!.p99, stats.get(c)!.perSecond, listMs.get(c)!]),
    );
    const ratio = stats.get(1000)!.p50 / stats.get(1)!.p50;
    printTable("Judged figures (SPEC §10)", ["figure", "value", "target", "met"], [
      ["p50 ratio 1000 / 1 installed", ratio, "≤ 1.2", ratio <= 1.2 ? "yes" : "NO"],
      ["p50 ratio 100 / 1 installed", stats.get(100)!.p50 / stats.get(1)!.p50, "", ""],
      ["ListPackages p50 ratio 1000 / 1 installed (not judged)", listMs.get(1000)! / listMs.get(1)!, "", ""],
    ]);
  } finally {
    for (const { runtime } of runtimes) await runtime.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
