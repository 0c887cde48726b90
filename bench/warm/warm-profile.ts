// Where a warm sandbox API call spends its time: CPU profiles of this (API-side)
// process and of the sandbox process while echo calls run at concurrency 1 and 16,
// each summarised as the top functions by self time. Code inside the isolates is not
// in either profile (an isolate is a V8 heap of its own): it shows as the native
// frames that enter it. Not part of `npm run bench`; for the lead when warm misses.
// Run: npx tsx bench/warm/warm-profile.ts   (the sandbox process's inspector opens on 127.0.0.1:9229)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSandbox, SandboxOptionsSchema } from "../../sandbox/index.ts";
import { BENCH_PLUGIN, ECHO_INPUT, ECHO_PLUGIN, installBenchPackage } from "../bench-packages.ts";
import { measure, printTable } from "../bench-table.ts";
import { openInspector, profileRemote, profileSelf, topSelfTime, type CpuProfile } from "../inspector-profile.ts";
import { printMachineFacts } from "../machine-facts.ts";

const CALLS = Number(process.env.BENCH_CALLS ?? 20_000);

async function main(): Promise<void> {
  printMachineFacts("warm call profile", false);
  const root = await mkdtemp(join(tmpdir(), "hiagent-bench-warm-profile-"));
  // One sandbox process, so every call lands in the process being profiled.
  const sandbox = createSandbox(SandboxOptionsSchema.parse({ processes: 1, tenant_max_concurrent: 64 }));
  try {
    await sandbox.start();
    const pkg = await installBenchPackage(sandbox, "bench_echo", ECHO_PLUGIN, { workDir: root, extensionsDir: join(root, "extensions") });
    const call = () => sandbox.runTool({ tenant: "bench", pkg: pkg.name, version: pkg.version, dir: pkg.dir, artifacts: pkg.artifacts, plugin: BENCH_PLUGIN, tool: "echo", inputJson: ECHO_INPUT, cfgJson: "null" });
    await measure(call, 3000, 16);
    const ws = await openInspector(sandbox.pids()[0]!);
    for (const concurrency of [1, 16]) {
      let child: CpuProfile | undefined;
      let stats: Awaited<ReturnType<typeof measure>> | undefined;
      const api = await profileSelf(async () => {
        child = await profileRemote(ws, async () => {
          stats = await measure(call, CALLS, concurrency);
        });
      });
      console.log(`\nconcurrency ${concurrency}: p50 ${stats!.p50.toFixed(1)} µs, p99 ${stats!.p99.toFixed(1)} µs, ${Math.round(stats!.perSecond)} calls/s (profiling on)`);
      const header = ["function", "where", "self ms", "self %"];
      printTable(`API-side process, concurrency ${concurrency}: top self time`, header, topSelfTime(api, 20));
      printTable(`Sandbox process, concurrency ${concurrency}: top self time`, header, topSelfTime(child!, 20));
    }
  } finally {
    await sandbox.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
