// bench/attack: isolation under abuse. Tenant B calls a warm echo tool one call after
// another while tenant A floods, at full rate, plugins that spin the CPU until the time
// limit, grow their heap until the isolate's memory limit, or allocate a huge array (the
// allocation that takes a whole sandbox process down, SPEC §9.1). B's latency and
// failures are measured in each scenario, through the sandbox API (tenancy, admission
// and the process pool are all on that path).
// Judged (SPEC §10): B's p99 ≤ 250 ms while A floods with CPU loops.
// Run: npm run bench -- attack   (BENCH_QUICK=1 for a short smoke run)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSandbox, SandboxOptionsSchema, type SandboxProcessPool, type ToolCall } from "../../sandbox/index.ts";
import type { Sandbox } from "../../sandbox/sandbox-api.ts";
import { BENCH_PLUGIN, cloneMany, ECHO_INPUT, ECHO_PLUGIN, installBenchPackage, type InstalledBenchPackage } from "../bench-packages.ts";
import { percentile, printTable } from "../bench-table.ts";
import { printMachineFacts } from "../machine-facts.ts";

const QUICK = process.env.BENCH_QUICK === "1";
const SCENARIO_MS = QUICK ? 4_000 : 6_000;
const TIMEOUT_MS = 1_000;
/** Tenant A's packages: each is an isolate of its own, so this many spin at once. */
const ATTACK_PACKAGES = 4;
const CALLERS_PER_PACKAGE = 4;

const ATTACK_PLUGIN: Record<string, string> = {
  "index.ts": `import { definePlugin, defineTool } from "hiagent-plugin-sdk";
export default definePlugin({ name: "${BENCH_PLUGIN}", tools: {
  spin: defineTool({ run: () => { for (;;) {} } }),
  heapBomb: defineTool({ run: () => { const a = []; for (;;) a.push({ i: a.length, s: "y".repeat(64) }); } }),
  arrayBomb: defineTool({ run: () => new Array(1e9).fill(0).length }),
} });
`,
};

type Pool = SandboxProcessPool & Sandbox;

interface Scenario {
  name: string;
  /** Tool of the attack plugin each of A's callers calls, by caller index; none for the baseline. */
  tools: string[];
  packages: number;
}

const SCENARIOS: Scenario[] = [
  { name: "baseline (B alone)", tools: [], packages: 0 },
  { name: "A: CPU loops", tools: ["spin"], packages: ATTACK_PACKAGES },
  { name: "A: heap bombs (isolate limit)", tools: ["heapBomb"], packages: ATTACK_PACKAGES },
  { name: "A: CPU loops + heap bombs", tools: ["spin", "heapBomb"], packages: ATTACK_PACKAGES },
  { name: "A: huge-array bombs (kill the process)", tools: ["arrayBomb"], packages: ATTACK_PACKAGES },
  { name: "after (B alone)", tools: [], packages: 0 },
];

interface Outcome {
  latencies: number[];
  codes: Map<string, number>;
}

function count(codes: Map<string, number>, code: string): void {
  codes.set(code, (codes.get(code) ?? 0) + 1);
}

function codeOf(err: unknown): string {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "thrown";
}

function summary(codes: Map<string, number>): string {
  return [...codes.entries()].map(([code, n]) => `${code} ${n}`).join(", ") || "-";
}

async function runScenario(sandbox: Pool, scenario: Scenario, victim: ToolCall, attackers: InstalledBenchPackage[]): Promise<{ b: Outcome; a: Map<string, number>; restarts: number }> {
  const restartsBefore = sandbox.health().processes.reduce((n, p) => n + p.restarts, 0);
  await sandbox.runTool(victim).catch(() => undefined); // B warm before the clock starts
  let stop = false;
  const a = new Map<string, number>();
  const floods: Promise<void>[] = [];
  for (const pkg of attackers.slice(0, scenario.packages)) {
    for (let c = 0; c < CALLERS_PER_PACKAGE; c++) {
      const tool = scenario.tools[c % scenario.tools.length]!;
      floods.push(
        (async () => {
          while (!stop) {
            await sandbox
              .runTool({ tenant: "tenant-a", pkg: pkg.name, version: pkg.version, dir: pkg.dir, artifacts: pkg.artifacts, plugin: BENCH_PLUGIN, tool, inputJson: "{}", cfgJson: "null" })
              .then(() => count(a, "ok"), (err: unknown) => count(a, codeOf(err)));
          }
        })(),
      );
    }
  }
  const b: Outcome = { latencies: [], codes: new Map() };
  const deadline = performance.now() + SCENARIO_MS;
  while (performance.now() < deadline) {
    const t = performance.now();
    await sandbox.runTool(victim).then(() => count(b.codes, "ok"), (err: unknown) => count(b.codes, codeOf(err)));
    b.latencies.push(performance.now() - t);
  }
  stop = true;
  await Promise.all(floods);
  const restarts = sandbox.health().processes.reduce((n, p) => n + p.restarts, 0) - restartsBefore;
  return { b, a, restarts };
}

async function main(): Promise<void> {
  printMachineFacts("attack", QUICK);
  console.log(`  ${SCENARIO_MS / 1000} s per scenario; timeout_ms ${TIMEOUT_MS}; tenant A: ${ATTACK_PACKAGES} attack packages × ${CALLERS_PER_PACKAGE} callers; tenant B: 1 caller`);
  const root = await mkdtemp(join(tmpdir(), "hiagent-bench-attack-"));
  const sandbox = createSandbox(SandboxOptionsSchema.parse({ processes: 2, max_isolates: 20, timeout_ms: TIMEOUT_MS }));
  try {
    await sandbox.start();
    const ext = join(root, "extensions");
    const echo = await installBenchPackage(sandbox, "bench_victim", ECHO_PLUGIN, { workDir: root, extensionsDir: ext });
    const attackSeed = await installBenchPackage(sandbox, "bench_attack_seed", ATTACK_PLUGIN, { workDir: root, extensionsDir: ext });
    const attackers = await cloneMany(attackSeed, ext, "bench_attack_", ATTACK_PACKAGES);
    const victim: ToolCall = { tenant: "tenant-b", pkg: echo.name, version: echo.version, dir: echo.dir, artifacts: echo.artifacts, plugin: BENCH_PLUGIN, tool: "echo", inputJson: ECHO_INPUT, cfgJson: "null" };

    const rows: (string | number)[][] = [];
    const p99s = new Map<string, number>();
    for (const scenario of SCENARIOS) {
      const { b, a, restarts } = await runScenario(sandbox, scenario, victim, attackers);
      const sorted = [...b.latencies].sort((x, y) => x - y);
      const p99 = percentile(sorted, 99);
      p99s.set(scenario.name, p99);
      rows.push([scenario.name, String(sorted.length), percentile(sorted, 50), p99, sorted[sorted.length - 1] ?? NaN, summary(b.codes), summary(a), String(restarts)]);
    }
    printTable(
      "Tenant B's warm echo calls (sequential) while tenant A floods, ms",
      ["scenario", "B calls", "B p50 ms", "B p99 ms", "B max ms", "B outcomes", "A outcomes", "process restarts"],
      rows,
    );
    const cpu = p99s.get("A: CPU loops")!;
    const heap = p99s.get("A: heap bombs (isolate limit)")!;
    const both = p99s.get("A: CPU loops + heap bombs")!;
    const base = p99s.get("baseline (B alone)")!;
    printTable("Judged figures (SPEC §10)", ["figure", "value", "target", "met"], [
      ["B p99 while A floods CPU loops (ms)", cpu, "≤ 250", cpu <= 250 ? "yes" : "NO"],
      ["B p99 while A floods heap bombs (ms)", heap, "≤ 250 (same bar)", heap <= 250 ? "yes" : "NO"],
      ["B p99 while A floods CPU loops + heap bombs (ms)", both, "≤ 250 (same bar)", both <= 250 ? "yes" : "NO"],
      ["ratio B p99 under CPU flood / baseline", cpu / base, "", ""],
    ]);
  } finally {
    await sandbox.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
