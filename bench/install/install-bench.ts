// bench/install: installs through the Redis queue with real worker processes. One API
// node (`host/main.ts`) and 1, then 2, workers (`host/worker-main.ts`) share the
// machine's Redis (a key prefix unique to the run, deleted afterwards) and an S3
// server (s3rver on loopback). Each install is a sync InstallPackage of a small
// zod-using plugin, timed from the request to its answer: enqueue, a worker's
// download, unpack, bundle, inspect, code cache and publish to S3, the API node
// copying it from storage. Judged: sync install p50 against the target of 300 ms.
// Run: npx tsx bench/install/install-bench.ts   (BENCH_QUICK=1 for a short smoke run)
import { percentile, printTable } from "../bench-table.ts";
import { printMachineFacts } from "../machine-facts.ts";
import { TestCluster } from "../../test/cluster/cluster-harness.ts";
import { writeGreeter, type PackageFile } from "../../test/cluster/cluster-packages.ts";
import type { NodeProcess } from "../../test/cluster/node-process.ts";

const QUICK = process.env.BENCH_QUICK === "1";
const INSTALLS = QUICK ? 20 : 100;
const SEQUENTIAL = QUICK ? 10 : 30;
const CONCURRENCY = 4;
const TARGET_P50_MS = 300;
const DEADLINE_MS = 170_000;

interface Row {
  workers: number;
  mode: string;
  installs: number;
  p50: number;
  p99: number;
  perSecond: number;
}

async function packages(cluster: TestCluster, label: string, count: number): Promise<PackageFile[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => writeGreeter(cluster.drops, `bench_${label}`, `1.0.${i}`)));
}

/** Sync installs with `concurrency` callers; latencies in ms. */
async function installAll(api: NodeProcess, pkgs: PackageFile[], concurrency: number): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < pkgs.length) {
        const pkg = pkgs[next++] as PackageFile;
        const t = performance.now();
        const result = await api.call("InstallPackage", { uri: pkg.uri, filename: `${pkg.name}.zip`, force: false });
        if (result.status !== 200) throw new Error(`install of ${pkg.name}@${pkg.version} failed: ${JSON.stringify(result.error)}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 };
}

function row(workers: number, mode: string, run: { latencies: number[]; seconds: number }): Row {
  return { workers, mode, installs: run.latencies.length, p50: percentile(run.latencies, 50), p99: percentile(run.latencies, 99), perSecond: run.latencies.length / run.seconds };
}

async function main(): Promise<void> {
  printMachineFacts("install", QUICK);
  const watchdog = setTimeout(() => {
    console.error(`install bench: over ${DEADLINE_MS / 1000} s, giving up`);
    process.exit(2);
  }, DEADLINE_MS).unref();
  const cluster = await TestCluster.start("bench", { config: { log_level: "info" } });
  const rows: Row[] = [];
  try {
    const [api] = await Promise.all([cluster.api("api"), cluster.worker("worker-1")]);
    // Warm-up: first bundle, first isolate, first S3 connections.
    await installAll(api, await packages(cluster, "warm", 3), 1);

    rows.push(row(1, "sync, 1 at a time", await installAll(api, await packages(cluster, "seq1", SEQUENTIAL), 1)));
    rows.push(row(1, `sync, ${CONCURRENCY} at a time`, await installAll(api, await packages(cluster, "w1", INSTALLS), CONCURRENCY)));

    await cluster.worker("worker-2");
    rows.push(row(2, "sync, 1 at a time", await installAll(api, await packages(cluster, "seq2", SEQUENTIAL), 1)));
    rows.push(row(2, `sync, ${CONCURRENCY} at a time`, await installAll(api, await packages(cluster, "w2", INSTALLS), CONCURRENCY)));
  } finally {
    await cluster.close();
    clearTimeout(watchdog);
  }

  printTable(
    "Install through the queue (sync InstallPackage; each worker runs jobs.concurrency = 1 install at a time; storage s3rver)",
    ["workers", "callers", "installs", "p50 ms", "p99 ms", "installs/s"],
    rows.map((r) => [String(r.workers), r.mode, String(r.installs), r.p50, r.p99, r.perSecond]),
  );
  const judged = rows.find((r) => r.workers === 1 && r.mode.startsWith("sync, 1"));
  if (judged !== undefined) {
    const verdict = judged.p50 <= TARGET_P50_MS ? "meets" : "misses";
    console.log(`\nJudged: sync install p50 ${judged.p50.toFixed(0)} ms vs target ≤ ${TARGET_P50_MS} ms (ratio ${(judged.p50 / TARGET_P50_MS).toFixed(2)}): ${verdict} the target`);
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
