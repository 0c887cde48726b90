// Benchmarks that host isolated-vm isolates in their own process need Node flags that
// `npm run bench` does not pass (SPEC §9.3: `--no-node-snapshot` on Node ≥ 20). Such a
// benchmark calls this first: without the flags it runs itself again with them.
import { spawnSync } from "node:child_process";

/** Returns when the flags are on; otherwise re-runs this script with them and exits with its status. */
export function ensureNodeFlags(flags: readonly string[]): void {
  const missing = flags.filter((flag) => !process.execArgv.includes(flag));
  if (missing.length === 0) return;
  const script = process.argv[1];
  if (script === undefined) throw new Error("cannot re-run: no script path in process.argv");
  const r = spawnSync(process.execPath, [...missing, ...process.execArgv, script, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
