// bench/sandbox: a warm tool call through the sandbox API (process hop included)
// against a plain in-process call and raw isolated-vm applySync; then the cold start
// of an installed ~400 KB bundle with and without its code cache.
// Run: npx tsx bench/sandbox/sandbox-bench.ts   (prints tables and the judged ratios)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ivm from "isolated-vm";
import { createSandbox, SandboxOptionsSchema } from "../../sandbox/index.ts";
import { bigLibraryPlugin, installBenchPackage, type InstalledBenchPackage } from "../bench-packages.ts";
import { measure, percentile, printTable } from "../bench-table.ts";

const WARM_CALLS = Number(process.env.BENCH_CALLS ?? 20_000);
const COLD_STARTS = Number(process.env.BENCH_COLD ?? 40);

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "hiagent-bench-"));
  // Package spares off: each cold start below loads the bundle (bench/cold measures them on).
  const sandbox = createSandbox(SandboxOptionsSchema.parse({ processes: 2, max_isolates: 400, tenant_max_concurrent: 64, package_spares: 0 }));
  await sandbox.start();
  try {
    const files = bigLibraryPlugin(380_000);
    const where = { workDir: root, extensionsDir: join(root, "ext") };
    const cached = await installBenchPackage(sandbox, "bench_cached", files, { ...where, codeCache: true });
    const uncached = await installBenchPackage(sandbox, "bench_nocache", files, { ...where, codeCache: false });

    // Warm calls.
    const input = JSON.stringify({ text: "hello" });
    const call = () => sandbox.runTool({ tenant: "bench", pkg: "bench_cached", version: "1.0.0", dir: cached.dir, artifacts: cached.artifacts, plugin: "Bench", tool: "echo", inputJson: input, cfgJson: "null" });
    await measure(call, 2000, 16);
    const plainFn = (i: { text: string }) => ({ text: i.text });
    const plain = async () => JSON.stringify(plainFn(JSON.parse(input) as { text: string }));
    const isolate = new ivm.Isolate({ memoryLimit: 64 });
    const context = await isolate.createContext();
    const fn = (await context.eval(`(function (s) { const i = JSON.parse(s); return JSON.stringify({ text: i.text }); })`, { reference: true })) as ivm.Reference<(s: string) => string>;
    const raw = async () => fn.applySync(undefined, [input], { result: { copy: true } });

    const rows: (string | number)[][] = [];
    const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
    for (const [name, f] of [["plain in-process function", plain], ["raw isolated-vm applySync", raw], ["sandbox API (process hop)", call]] as const) {
      for (const conc of [1, 16]) {
        const r = await measure(f, WARM_CALLS, conc);
        results[`${name}@${conc}`] = r;
        rows.push([name, conc, r.p50, r.p99, r.perSecond]);
      }
    }
    isolate.dispose();
    printTable("Warm tool call (echo), latency in µs", ["path", "concurrency", "p50 µs", "p99 µs", "calls/s"], rows);

    // Cold starts: a new tenant each time means a new isolate loading the installed bundle.
    // Spares are pre-warmed off the hot path, so each start waits for the spare first.
    const cold = async (installed: InstalledBenchPackage): Promise<number[]> => {
      const { name: pkg, dir, artifacts } = installed;
      const times: number[] = [];
      for (let i = 0; i < COLD_STARTS; i++) {
        await new Promise((r) => setTimeout(r, 250));
        const tenant = `cold-${pkg}-${i}`;
        const t = process.hrtime.bigint();
        await sandbox.runTool({ tenant, pkg, version: "1.0.0", dir, artifacts, plugin: "Bench", tool: "echo", inputJson: input, cfgJson: "null" });
        const first = Number(process.hrtime.bigint() - t) / 1e6;
        const t2 = process.hrtime.bigint();
        await sandbox.runTool({ tenant, pkg, version: "1.0.0", dir, artifacts, plugin: "Bench", tool: "echo", inputJson: input, cfgJson: "null" });
        const warm = Number(process.hrtime.bigint() - t2) / 1e6;
        times.push(first - warm);
      }
      return times.sort((a, b) => a - b);
    };
    const withCache = await cold(cached);
    const without = await cold(uncached);
    printTable(`Cold start of an installed ${Math.round(cached.bundleBytes / 1024)} KB bundle, package spares off (first call minus a warm call), ms`, ["artifact", "p50 ms", "p99 ms"], [
      ["none", percentile(without, 50), percentile(without, 99)],
      ["V8 code cache", percentile(withCache, 50), percentile(withCache, 99)],
    ]);

    const ours1 = results["sandbox API (process hop)@1"]!;
    const ours16 = results["sandbox API (process hop)@16"]!;
    const plain1 = results["plain in-process function@1"]!;
    const raw1 = results["raw isolated-vm applySync@1"]!;
    printTable("Judged figures (targets: warm p50 ≤ 100 µs, ≥ 20,000 calls/s at concurrency 16; cold start ≤ 5 ms is judged by bench/cold, as installed)", ["figure", "value", "target", "met"], [
      ["warm p50, sandbox API, concurrency 1 (µs)", ours1.p50, "≤ 100", ours1.p50 <= 100 ? "yes" : "no"],
      ["calls/s, sandbox API, concurrency 16", ours16.perSecond, "≥ 20,000", ours16.perSecond >= 20_000 ? "yes" : "no"],
      ["cold start p50 with code cache, package spares off (ms)", percentile(withCache, 50), "(≤ 5)", percentile(withCache, 50) <= 5 ? "yes" : "no"],
      ["ratio warm p50: sandbox / plain", ours1.p50 / plain1.p50, "", ""],
      ["ratio warm p50: sandbox / raw applySync", ours1.p50 / raw1.p50, "", ""],
      ["ratio cold p50: no artifact / code cache", percentile(without, 50) / percentile(withCache, 50), "", ""],
    ]);
  } finally {
    await sandbox.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
