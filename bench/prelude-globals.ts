// Cold-start cost of the web globals (sandbox/runtime/globals): bundle size, and the
// time a fresh isolate takes to compile and evaluate them, with and without a V8 code
// cache, against an empty script in the same kind of isolate.
// Run: node --no-node-snapshot --import tsx bench/prelude-globals.ts  (or npx tsx, see below)

import { fileURLToPath } from "node:url";
import esbuild from "esbuild";
import ivm from "isolated-vm";

const ENTRY = fileURLToPath(new URL("../test/sandbox/fixtures/globals-entry.ts", import.meta.url));
const ROUNDS = 60;

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
  run: number;
}

async function measure(code: string, cachedData?: ivm.ExternalCopy<ArrayBuffer>): Promise<Sample> {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const context = await isolate.createContext();
    const started = process.hrtime.bigint();
    const script = await isolate.compileScript(code, { filename: "prelude.js", cachedData });
    const compiled = process.hrtime.bigint();
    await script.run(context);
    const ran = process.hrtime.bigint();
    return { compile: Number(compiled - started) / 1e6, run: Number(ran - compiled) / 1e6 };
  } finally {
    isolate.dispose();
  }
}

async function codeCache(code: string): Promise<ivm.ExternalCopy<ArrayBuffer>> {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const script = await isolate.compileScript(code, { produceCachedData: true });
    return script.cachedData!;
  } finally {
    isolate.dispose();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function row(label: string, code: string, cache?: ivm.ExternalCopy<ArrayBuffer>): Promise<string[]> {
  for (let i = 0; i < 5; i++) await measure(code, cache); // warm the host side
  const samples: Sample[] = [];
  for (let i = 0; i < ROUNDS; i++) samples.push(await measure(code, cache));
  const compile = median(samples.map((s) => s.compile));
  const run = median(samples.map((s) => s.run));
  const total = median(samples.map((s) => s.compile + s.run));
  return [label, String(code.length), compile.toFixed(3), run.toFixed(3), total.toFixed(3)];
}

const plain = await bundle(false);
const minified = await bundle(true);
const rows = [
  ["script", "bytes", "compile ms", "evaluate ms", "total ms"],
  await row("empty script (baseline)", "0"),
  await row("globals, not minified", plain),
  await row("globals, minified", minified),
  await row("globals, minified + code cache", minified, await codeCache(minified)),
];
const widths = rows[0]!.map((_, column) => Math.max(...rows.map((r) => r[column]!.length)));
for (const r of rows) console.log(r.map((cell, column) => cell.padEnd(widths[column]!)).join("  "));
console.log(`median of ${ROUNDS} fresh isolates each; Node ${process.version}`);
