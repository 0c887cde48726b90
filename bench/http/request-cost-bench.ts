// bench/http request cost: how long hostile request bodies within server.max_body_bytes
// hold the API's event loop. GET /v1/health is probed every 20 ms while two clients send
// one kind of body back to back; the table shows health's latency and how the hostile
// requests were answered. Judged (issue: one request cannot stall the API): health's
// max stays near 100 ms.
// Run: npx tsx bench/http/request-cost-bench.ts   (BENCH_QUICK=1 for a short run)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { percentile, printTable } from "../bench-table.ts";
import { printMachineFacts } from "../machine-facts.ts";
import { startRuntimeProcess } from "../runtime-process.ts";

const QUICK = process.env.BENCH_QUICK === "1";
const SCENARIO_MS = QUICK ? 2_000 : 5_000;
const PROBE_EVERY_MS = 20;
const ATTACKERS = 2;

const target = `"pkg":"no_such_pkg","version":"1.0.0","plugin":"P","tool":"t"`;
const keys = (n: number): string => Array.from({ length: n }, (_, i) => `"k${i}":1`).join(",");
const SCENARIOS: { name: string; body: string | null }[] = [
  { name: "baseline (no other requests)", body: null },
  { name: "700,000 unknown fields (7.9 MB)", body: `{${target},${keys(700_000)}}` },
  { name: "input with 700,000 keys", body: `{${target},"input":{${keys(700_000)}}}` },
  { name: "input 100,000 deep", body: `{${target},"input":{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}}` },
  { name: "input: 8 MB array of numbers (within the limits)", body: `{${target},"input":{"a":[${"1,".repeat(3_999_999)}1]}}` },
  { name: "input: 40,000 keys (within the limits)", body: `{${target},"input":{${keys(40_000)}}}` },
];

async function scenario(url: string, text: string | null): Promise<{ latencies: number[]; answers: Map<string, number> }> {
  // Encoded once, so the probe in this process does not wait behind the encoding.
  const body = text === null ? null : Buffer.from(text);
  const latencies: number[] = [];
  const answers = new Map<string, number>();
  const end = Date.now() + SCENARIO_MS;
  const attack = async (): Promise<void> => {
    while (body !== null && Date.now() < end) {
      const res = await fetch(`${url}/v1/RunPluginTool`, { method: "POST", body, headers: { "content-type": "application/json" } });
      const answer = await res.text();
      let code = String(res.status);
      try {
        code += " " + ((JSON.parse(answer) as { error?: { code?: string } }).error?.code ?? "");
      } catch {
        // not JSON
      }
      answers.set(code, (answers.get(code) ?? 0) + 1);
    }
  };
  const probe = async (): Promise<void> => {
    while (Date.now() < end) {
      const started = performance.now();
      await (await fetch(`${url}/v1/health`)).arrayBuffer();
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
    }
  };
  await Promise.all([probe(), ...Array.from({ length: ATTACKERS }, attack)]);
  return { latencies: latencies.sort((a, b) => a - b), answers };
}

const dir = await mkdtemp(join(tmpdir(), "bench-request-cost-"));
const runtime = await startRuntimeProcess({ cwd: dir, env: { HIAGENT_SANDBOX__PROCESSES: "1" } });
try {
  printMachineFacts("http request cost", QUICK);
  const rows: (string | number)[][] = [];
  for (const s of SCENARIOS) {
    const { latencies, answers } = await scenario(runtime.url, s.body);
    const answered = [...answers].map(([code, n]) => `${n}× ${code.trim()}`).join(", ") || "–";
    rows.push([s.name, percentile(latencies, 50), percentile(latencies, 99), latencies[latencies.length - 1] ?? NaN, latencies.length, answered]);
  }
  printTable(`GET /v1/health latency (ms) while ${ATTACKERS} clients send each body back to back, ${SCENARIO_MS / 1000} s each`, ["requests arriving", "p50", "p99", "max", "probes", "their answers"], rows);
} finally {
  await runtime.close();
  await rm(dir, { recursive: true, force: true });
}
