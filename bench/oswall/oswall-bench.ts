// bench/oswall: what the OS sandbox costs. With `os_sandbox: off` (plain forked
// children) and with the wall (`required`: every layer), the start of a one-process
// sandbox (child started until ready; the prelude and child entry are already built),
// a warm tool call, and a call that makes one fetch through the relay to a local server.
// Run: npx tsx bench/oswall/oswall-bench.ts   (prints a table and the wall/off ratios)
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSandbox, SandboxOptionsSchema, type SandboxProcessPool } from "../../sandbox/index.ts";
import { BENCH_PLUGIN, BENCH_VERSION, installBenchPackage } from "../bench-packages.ts";
import { measure, percentile, printTable } from "../bench-table.ts";
import { printMachineFacts } from "../machine-facts.ts";

const QUICK = process.env.BENCH_QUICK === "1";
const STARTS = QUICK ? 3 : 10;
const WARM_CALLS = QUICK ? 500 : 5_000;
const FETCH_CALLS = QUICK ? 100 : 1_000;

const PLUGIN = {
  "index.ts": `import { definePlugin, defineTool, z } from "hiagent-plugin-sdk";
export default definePlugin({ name: "${BENCH_PLUGIN}", tools: {
  echo: defineTool({ input: z.object({ text: z.string() }), run: (i) => ({ text: i.text }) }),
  fetchOnce: defineTool({ input: z.object({ url: z.string() }), run: async (i) => (await fetch(i.url)).text() }),
} });`,
};

type Mode = "off" | "required";

function options(mode: Mode, origin: string) {
  return SandboxOptionsSchema.parse({ processes: 1, os_sandbox: mode, package_spares: 0, fetch: { allow_private_origins: [origin], extra_origins: [origin] } });
}

async function startTimes(mode: Mode, origin: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const sandbox = createSandbox(options(mode, origin));
    const t = process.hrtime.bigint();
    await sandbox.start();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    await sandbox.close();
  }
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  printMachineFacts("bench/oswall", QUICK);
  const root = await mkdtemp(join(tmpdir(), "hiagent-bench-oswall-"));
  const upstream = createServer((_req, res) => res.end("ok"));
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  try {
    // One throwaway start builds the prelude and the child entry (and detects the wall).
    const builder: SandboxProcessPool = createSandbox(options("required", origin));
    await builder.start();
    const pkg = await installBenchPackage(builder, "bench_oswall", PLUGIN, { workDir: root, extensionsDir: join(root, "ext") });
    await builder.close();

    const rows: (string | number)[][] = [];
    const figures: Record<string, Record<Mode, number>> = { start: { off: 0, required: 0 }, warm: { off: 0, required: 0 }, fetch: { off: 0, required: 0 } };
    for (const mode of ["off", "required"] as const) {
      const starts = await startTimes(mode, origin);
      figures.start![mode] = percentile(starts, 50);
      rows.push([mode, "child start (ms)", percentile(starts, 50), starts.at(-1)!, "-"]);

      const sandbox = createSandbox(options(mode, origin));
      await sandbox.start();
      const base = { tenant: "bench", pkg: pkg.name, version: BENCH_VERSION, dir: pkg.dir, artifacts: pkg.artifacts, plugin: BENCH_PLUGIN, cfgJson: "null" };
      const echo = () => sandbox.runTool({ ...base, tool: "echo", inputJson: JSON.stringify({ text: "hello" }) });
      const fetchOnce = () => sandbox.runTool({ ...base, tool: "fetchOnce", inputJson: JSON.stringify({ url: `${origin}/` }) });
      await measure(echo, 200, 1);
      const warm = await measure(echo, WARM_CALLS, 1);
      figures.warm![mode] = warm.p50;
      rows.push([mode, "warm call (µs)", warm.p50, warm.p99, warm.perSecond]);
      await measure(fetchOnce, 50, 1);
      const fetched = await measure(fetchOnce, FETCH_CALLS, 1);
      figures.fetch![mode] = fetched.p50;
      rows.push([mode, "call with one fetch (µs)", fetched.p50, fetched.p99, fetched.perSecond]);
      await sandbox.close();
    }
    printTable("The OS sandbox's cost: os_sandbox off vs required (all layers)", ["os_sandbox", "what", "p50", "p99 / max", "per second"], rows);
    const ratio = (k: string) => (figures[k]!.required / figures[k]!.off).toFixed(2);
    console.log(`\nwall/off ratio (p50): child start ${ratio("start")}×, warm call ${ratio("warm")}×, call with one fetch ${ratio("fetch")}×`);
  } finally {
    upstream.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
