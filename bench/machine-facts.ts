// The facts every benchmark prints before its tables (CPU, cores, load, Node, date,
// mode), so a figure from a busy or different machine is recognisable as such.
import { cpus, loadavg } from "node:os";

export interface MachineFacts {
  cpu: string;
  cores: number;
  load: [number, number, number];
  node: string;
  date: string;
}

export function machineFacts(): MachineFacts {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    load: [one, five, fifteen],
    node: process.version,
    date: new Date().toISOString(),
  };
}

/** One line per fact; a 1-minute load above the core count is called out as noisy. */
export function printMachineFacts(bench: string, quick: boolean): MachineFacts {
  const facts = machineFacts();
  const load = facts.load.map((l) => l.toFixed(2)).join(" / ");
  const busy = facts.load[0] > facts.cores * 0.5 ? " (busy machine: expect noisy figures)" : "";
  console.log(`${bench}: ${quick ? "QUICK smoke mode (BENCH_QUICK=1): short runs, figures indicative only" : "full mode"}`);
  console.log(`  cpu ${facts.cpu} x ${facts.cores} cores; load average 1/5/15 min ${load}${busy}`);
  console.log(`  node ${facts.node} (${process.platform}/${process.arch}); started ${facts.date}`);
  return facts;
}
