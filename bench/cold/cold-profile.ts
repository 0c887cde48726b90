// Where a cold start spends its time inside the isolate: V8's own profiler, through
// isolated-vm's inspector, over the work a cold start does after taking a spare
// isolate (compile the bundle from its code cache, evaluate it, register its plugins,
// the first call). Repeated over fresh isolates built as the sandbox builds its spares
// (prelude warm-up included), summed, and summarised as the top functions by self time.
// Also compares the same start after the spare has also run a throwaway plugin through
// definePlugin, defineTool and a first call: what the prelude's warm-up leaves cold.
// Not part of `npm run bench`. Run: npx tsx bench/cold/cold-profile.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ivm from "isolated-vm";
import { packCall } from "../../sandbox/child/plugin-isolate.ts";
import { createSandbox, SandboxOptionsSchema } from "../../sandbox/index.ts";
import { bundlePrelude } from "../../sandbox/sandbox-build.ts";
import { BENCH_PLUGIN, ECHO_INPUT, ECHO_PLUGIN, installBenchPackage } from "../bench-packages.ts";
import { percentile, printTable } from "../bench-table.ts";
import { topSelfTime, type CpuProfile } from "../inspector-profile.ts";
import { printMachineFacts } from "../machine-facts.ts";
import { ensureNodeFlags } from "../node-flags.ts";

ensureNodeFlags(["--no-node-snapshot"]);

const STARTS = Number(process.env.BENCH_COLD ?? 20);

const MAX_BYTES = 10 * 1024 * 1024;

interface Spare {
  isolate: ivm.Isolate;
  context: ivm.Context;
  load: ivm.Reference<(fn: unknown, limit: number) => string>;
  dispatch: ivm.Reference<(...a: string[]) => Promise<string>>;
}

/** A spare as the sandbox makes one (hooks, prelude from its code cache, the prelude's warm-up), with the inspector on. */
async function makeSpare(prelude: string, preludeCache: ivm.ExternalCopy<ArrayBuffer>): Promise<Spare> {
  const isolate = new ivm.Isolate({ memoryLimit: 128, inspector: true });
  const context = await isolate.createContext({ inspector: true });
  for (const name of ["__hb_op", "__hb_log", "__hb_emit", "__hb_random"]) await context.global.set(name, new ivm.Callback(() => ""));
  const script = await isolate.compileScript(prelude, { filename: "hiagent:runtime", cachedData: preludeCache });
  const entry = (await script.run(context, { reference: true })) as ivm.Reference<Record<string, unknown>>;
  const load = (await entry.get("load", { reference: true })) as ivm.Reference<(fn: unknown, limit: number) => string>;
  const dispatch = (await entry.get("dispatch", { reference: true })) as ivm.Reference<(packed: string) => Promise<string>>;
  const warm = (await entry.get("warm", { reference: true })) as ivm.Reference<() => void> | undefined;
  if (warm?.typeof === "function") await warm.apply(undefined, []);
  return { isolate, context, load, dispatch };
}

/** The cold start proper: compile (from cache), evaluate, register, first call. */
async function coldStart(spare: Spare, code: string, cache: Buffer, plugin: string): Promise<void> {
  const wrapped = `(function (module, exports, require) {${code}\n})`;
  const cachedData = new ivm.ExternalCopy(cache.buffer.slice(cache.byteOffset, cache.byteOffset + cache.byteLength) as ArrayBuffer);
  const script = await spare.isolate.compileScript(wrapped, { filename: "bundle.js", cachedData });
  const fn = (await script.run(spare.context, { reference: true })) as ivm.Reference<unknown>;
  const loaded = (await spare.load.apply(undefined, [fn.derefInto(), MAX_BYTES], { result: { copy: true } })) as string;
  if (loaded.charAt(0) !== "R") throw new Error(`load failed: ${loaded}`);
  const first = (await spare.dispatch.apply(undefined, [packCall({ kind: "tool", callId: "c1", plugin, tool: "echo", inputJson: ECHO_INPUT, cfgJson: "null", tenant: "bench" })], { result: { promise: true, copy: true } })) as string;
  if (first.charAt(0) !== "R") throw new Error(`call failed: ${first}`);
}

function profiled(spare: Spare, work: () => Promise<void>): Promise<CpuProfile> {
  const session = spare.isolate.createInspectorSession();
  let id = 0;
  const waiting = new Map<number, (message: string) => void>();
  session.onResponse = (callId, message) => waiting.get(callId)?.(message);
  session.onNotification = () => undefined;
  const send = (method: string, params: object = {}) =>
    new Promise<string>((resolve) => {
      const callId = ++id;
      waiting.set(callId, resolve);
      session.dispatchProtocolMessage(JSON.stringify({ id: callId, method, params }));
    });
  return (async () => {
    try {
      await send("Profiler.enable");
      await send("Profiler.setSamplingInterval", { interval: 100 });
      await send("Profiler.start");
      await work();
      const stopped = JSON.parse(await send("Profiler.stop")) as { result: { profile: CpuProfile } };
      return stopped.result.profile;
    } finally {
      session.dispose();
    }
  })();
}

function merge(profiles: CpuProfile[]): CpuProfile {
  const nodes = profiles.flatMap((p, i) => p.nodes.map((n) => ({ ...n, id: i * 1_000_000 + n.id })));
  const span = profiles.reduce((ms, p) => ms + (p.endTime - p.startTime), 0);
  return { nodes, startTime: 0, endTime: span };
}

async function main(): Promise<void> {
  printMachineFacts("cold start profile", false);
  const root = await mkdtemp(join(tmpdir(), "hiagent-bench-cold-profile-"));
  const sandbox = createSandbox(SandboxOptionsSchema.parse({ processes: 1 }));
  try {
    await sandbox.start();
    const pkg = await installBenchPackage(sandbox, "cold_profile_small", ECHO_PLUGIN, { workDir: root, extensionsDir: join(root, "extensions") });
    const cache = (await sandbox.inspect({ pkg: pkg.name, version: pkg.version, code: pkg.code })).codeCache!;
    const prelude = await bundlePrelude({ minify: false });
    const preludeCache = ((await new ivm.Isolate().compileScript(prelude, { produceCachedData: true })) as ivm.Script & { cachedData: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
    // A throwaway plugin with another name, run once in the spare before the real start.
    const warmup = pkg.code.replace(`name: "${BENCH_PLUGIN}"`, 'name: "Warmup"');

    const rows: (string | number)[][] = [];
    for (const warmed of [false, true]) {
      const profiles: CpuProfile[] = [];
      const wall: number[] = [];
      for (let i = 0; i < STARTS; i++) {
        const spare = await makeSpare(prelude, preludeCache);
        try {
          if (warmed) await coldStart(spare, warmup, cache, "Warmup");
          const t = performance.now();
          profiles.push(await profiled(spare, () => coldStart(spare, pkg.code, cache, BENCH_PLUGIN)));
          wall.push(performance.now() - t);
        } finally {
          // isolated-vm's inspector can crash the process when an isolate goes away right
          // after its session: give the session's last messages a moment.
          await new Promise((r) => setTimeout(r, 20));
          spare.isolate.dispose();
        }
      }
      const label = warmed ? "spare + a throwaway plugin run in it" : "spare as the sandbox makes it";
      rows.push([label, percentile(wall.sort((a, b) => a - b), 50)]);
      printTable(`Inside the isolate, small plugin + zod cold start (${label}), ${STARTS} starts summed: top self time`, ["function", "where", "self ms", "self %"], topSelfTime(merge(profiles), 20));
    }
    printTable("Cold start wall time with the profiler on (ms, p50)", ["spare", "p50 ms"], rows);
  } finally {
    await sandbox.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
