// bench/prelude-globals: the cold-start cost of the web globals (sandbox/runtime/globals)
// that every fresh isolate evaluates: bundle size, then compile and evaluate time in a
// fresh isolate, with and without a V8 code cache, above an empty script in the same
// kind of isolate. Judged against the ~1 ms budget for all of them. Times are the
// isolate's own CPU time (isolate.cpuTime), which load from other processes on the
// machine disturbs far less than wall time; wall time is shown for comparison.
// Run: npx tsx bench/prelude-globals.ts
import { fileURLToPath } from "node:url";
import esbuild from "esbuild";
import ivm from "isolated-vm";
import { percentile, printTable } from "./bench-table.ts";

const ENTRY = fileURLToPath(new URL("../test/sandbox/fixtures/globals-entry.ts", import.meta.url));
const ROUNDS = Number(process.env.BENCH_COLD ?? 100);

async function bundle(minify: boolean): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: "iife",
    platform: "neutral",
    target: "es2022",
    minify,
  });
  return result.outputFiles[0]!.text;
}

interface Sample {
  compile: number;
  evaluate: number;
  wall: number;
}

/** Compiles and runs `code` in a new isolate and context; times in ms. */
async function coldStart(code: string, cachedData?: ivm.ExternalCopy<ArrayBuffer>): Promise<Sample> {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const context = await isolate.createContext();
    const wallStarted = process.hrtime.bigint();
    const started = isolate.cpuTime;
    const script = await isolate.compileScript(code, { filename: "prelude.js", cachedData });
    const compiled = isolate.cpuTime;
    await script.run(context);
    const ran = isolate.cpuTime;
    const wall = Number(process.hrtime.bigint() - wallStarted) / 1e6;
    return { compile: Number(compiled - started) / 1e6, evaluate: Number(ran - compiled) / 1e6, wall };
  } finally {
    isolate.dispose();
  }
}

async function codeCache(code: string): Promise<ivm.ExternalCopy<ArrayBuffer>> {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const script = await isolate.compileScript(code, { produceCachedData: true });
    return (script as ivm.Script & ivm.CachedDataResult).cachedData!;
  } finally {
    isolate.dispose();
  }
}

interface Variant {
  label: string;
  code: string;
  cache?: ivm.ExternalCopy<ArrayBuffer>;
  samples: Sample[];
}

const plain = await bundle(false);
const minified = await bundle(true);
const variants: Variant[] = [
  { label: "empty script (baseline)", code: "0", samples: [] },
  { label: "globals", code: plain, samples: [] },
  { label: "globals, minified", code: minified, samples: [] },
  { label: "globals, minified + code cache", code: minified, cache: await codeCache(minified), samples: [] },
];

// Interleaved, so that load from other processes falls on every variant alike.
for (let round = -5; round < ROUNDS; round++) {
  for (const variant of variants) {
    const sample = await coldStart(variant.code, variant.cache);
    if (round >= 0) variant.samples.push(sample);
  }
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

const baseline = variants[0]!.samples;
const baselineTotal = median(baseline.map((s) => s.compile + s.evaluate));
const baselineWall = median(baseline.map((s) => s.wall));
printTable(
  `Web globals in a fresh isolate (median of ${ROUNDS}; CPU ms unless marked wall; Node ${process.version})`,
  ["script", "bytes", "compile", "evaluate", "total", "above baseline", "wall above baseline"],
  variants.map(({ label, code, samples }) => {
    const total = median(samples.map((s) => s.compile + s.evaluate));
    return [
      label,
      code.length.toLocaleString("en-US"),
      median(samples.map((s) => s.compile)),
      median(samples.map((s) => s.evaluate)),
      total,
      total - baselineTotal,
      median(samples.map((s) => s.wall)) - baselineWall,
    ];
  }),
);
const cached = variants[3]!.samples;
const cost = median(cached.map((s) => s.compile + s.evaluate)) - baselineTotal;
console.log(`\nminified + code cache, above an empty isolate: ${cost.toFixed(2)} ms (budget ~1 ms)`);
