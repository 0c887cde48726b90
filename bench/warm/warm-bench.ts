// bench/warm: one warm call of the same echo tool with the same input, side by side:
// a plain in-process function; a node:vm context (no isolation worth the name: the
// unsafe baseline); QuickJS compiled to WebAssembly (quickjs-emscripten, the other safe
// option); raw isolated-vm, sync and async; our prelude and dispatcher in an isolate in
// this process (everything but the process hop); a bare IPC round trip to a child
// process (the floor of any hop); and our sandbox API, process hop included.
// p50, p99 and calls/s at concurrency 1 and 16. Judged (SPEC §10): sandbox API p50
// ≤ 100 µs at concurrency 1, ≥ 20,000 calls/s at concurrency 16.
// Run: npm run bench -- warm   (BENCH_QUICK=1 for a short smoke run)
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import ivm from "isolated-vm";
import { getQuickJS } from "quickjs-emscripten";
import { PluginIsolate, PreludeSource } from "../../sandbox/child/plugin-isolate.ts";
import { createSandbox, SandboxOptionsSchema } from "../../sandbox/index.ts";
import { MessageBatcher } from "../../sandbox/message-batcher.ts";
import { buildPrelude } from "../../sandbox/sandbox-build.ts";
import { BENCH_PLUGIN, ECHO_INPUT, ECHO_PLUGIN, installBenchPackage } from "../bench-packages.ts";
import { measure, printTable, type LatencyStats } from "../bench-table.ts";
import { printMachineFacts } from "../machine-facts.ts";
import { ensureNodeFlags } from "../node-flags.ts";

ensureNodeFlags(["--no-node-snapshot"]);

const QUICK = process.env.BENCH_QUICK === "1";
const CALLS = Number(process.env.BENCH_CALLS ?? (QUICK ? 3_000 : 20_000));
const WARMUP = Math.max(200, Math.floor(CALLS / 10));
const CONCURRENCY = [1, 16] as const;
const IPC_ECHO_CHILD = fileURLToPath(new URL("./ipc-echo-child.ts", import.meta.url));

/** The echo tool as source text, for the engines that take code. */
const ECHO_FN = `(function (s) { const i = JSON.parse(s); return JSON.stringify({ text: i.text }); })`;

type Call = () => unknown;

interface Path {
  name: string;
  call: Call;
  close?: () => Promise<void> | void;
}

function plainPath(): Path {
  const echo = (i: { text: string }) => ({ text: i.text });
  return { name: "plain in-process function", call: () => JSON.stringify(echo(JSON.parse(ECHO_INPUT) as { text: string })) };
}

function nodeVmPath(): Path {
  const context = vm.createContext({});
  const fn = vm.runInContext(ECHO_FN, context) as (s: string) => string;
  return { name: "node:vm context (unsafe)", call: () => fn(ECHO_INPUT) };
}

async function quickJsPath(): Promise<Path> {
  const QuickJS = await getQuickJS();
  const context = QuickJS.newContext();
  const fn = context.unwrapResult(context.evalCode(ECHO_FN));
  return {
    name: "quickjs-emscripten (wasm)",
    call: () => {
      const arg = context.newString(ECHO_INPUT);
      const result = context.unwrapResult(context.callFunction(fn, context.undefined, arg));
      const text = context.getString(result);
      result.dispose();
      arg.dispose();
      return text;
    },
    close: () => {
      fn.dispose();
      context.dispose();
    },
  };
}

async function rawIvmPaths(): Promise<Path[]> {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  const context = await isolate.createContext();
  const fn = (await context.eval(ECHO_FN, { reference: true })) as ivm.Reference<(s: string) => string>;
  return [
    { name: "raw isolated-vm applySync", call: () => fn.applySync(undefined, [ECHO_INPUT], { result: { copy: true } }) },
    // The async form our sandbox uses, so one busy isolate never blocks the others (SPEC §4).
    { name: "raw isolated-vm apply (async)", call: () => fn.apply(undefined, [ECHO_INPUT], { result: { promise: true, copy: true } }), close: () => isolate.dispose() },
  ];
}

/** A round trip to a child process that answers at once: the floor of any process hop. */
async function ipcPath(): Promise<Path> {
  const child = fork(IPC_ECHO_CHILD, [], { execArgv: ["--import", import.meta.resolve("tsx")], serialization: "json", stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map<number, (json: string) => void>();
  child.on("message", (batch) => {
    for (const msg of batch as { id: number; json: string }[]) waiting.get(msg.id)?.(msg.json);
  });
  const outbox = new MessageBatcher<{ id: number; json: string }>((batch) => child.send(batch));
  await new Promise<void>((resolve) => child.once("spawn", () => resolve()));
  let next = 0;
  const call = () =>
    new Promise<string>((resolve) => {
      const id = next++;
      waiting.set(id, (json) => {
        waiting.delete(id);
        resolve(json);
      });
      outbox.send({ id, json: ECHO_INPUT });
    });
  await call();
  return { name: "node IPC round trip (no isolate)", call, close: () => void child.disconnect() };
}

/** Our isolate (prelude, SDK, zod, dispatcher) with the installed bundle, called in this process. */
async function ourIsolatePath(code: string): Promise<Path> {
  const hooks = { op: () => "", log: () => undefined, emit: () => "", random: () => "" };
  const isolate = await PluginIsolate.create(new PreludeSource(await buildPrelude()), 128, hooks);
  await isolate.load(code, { maxBytes: 10 * 1024 * 1024, timeoutMs: 10_000 });
  let n = 0;
  const args = { kind: "tool", callId: "", plugin: BENCH_PLUGIN, tool: "echo", inputJson: ECHO_INPUT, cfgJson: "null", tenant: "bench" };
  return {
    name: "our isolate, in process (no hop)",
    call: () => isolate.dispatch({ ...args, callId: `c${n++}` }, 30_000),
    close: () => isolate.dispose("closed"),
  };
}

async function main(): Promise<void> {
  printMachineFacts("warm call", QUICK);
  console.log(`  ${CALLS.toLocaleString("en-US")} calls per row after ${WARMUP.toLocaleString("en-US")} warm-up calls`);
  const root = await mkdtemp(join(tmpdir(), "hiagent-bench-warm-"));
  const sandbox = createSandbox(SandboxOptionsSchema.parse({ processes: 2, max_isolates: 10, tenant_max_concurrent: 64 }));
  const paths: Path[] = [];
  try {
    await sandbox.start();
    const pkg = await installBenchPackage(sandbox, "bench_echo", ECHO_PLUGIN, { workDir: root, extensionsDir: join(root, "extensions") });
    const call = { tenant: "bench", pkg: pkg.name, version: pkg.version, dir: pkg.dir, artifacts: pkg.artifacts, plugin: BENCH_PLUGIN, tool: "echo", inputJson: ECHO_INPUT, cfgJson: "null" };
    const check = JSON.parse((await sandbox.runTool(call)).json) as unknown;
    if (JSON.stringify(check) !== ECHO_INPUT) throw new Error(`echo answered ${JSON.stringify(check)}`);

    paths.push(plainPath(), nodeVmPath(), await quickJsPath(), ...(await rawIvmPaths()), await ourIsolatePath(pkg.code), await ipcPath());
    paths.push({ name: "sandbox API (process hop)", call: () => sandbox.runTool(call) });

    const results = new Map<string, LatencyStats>();
    const rows: (string | number)[][] = [];
    for (const path of paths) {
      for (const concurrency of CONCURRENCY) {
        await measure(path.call, WARMUP, concurrency);
        const r = await measure(path.call, CALLS, concurrency);
        results.set(`${path.name}@${concurrency}`, r);
        rows.push([path.name, String(concurrency), r.p50, r.p99, r.perSecond]);
      }
    }
    printTable("Warm call of the echo tool (same input), latency in µs", ["path", "concurrency", "p50 µs", "p99 µs", "calls/s"], rows);

    const get = (name: string, c: number) => results.get(`${name}@${c}`)!;
    const ours1 = get("sandbox API (process hop)", 1);
    const ours16 = get("sandbox API (process hop)", 16);
    const inProcess1 = get("our isolate, in process (no hop)", 1);
    const ratio = (name: string) => ours1.p50 / get(name, 1).p50;
    printTable("Judged figures and ratios (SPEC §10)", ["figure", "value", "target", "met"], [
      ["sandbox API p50, concurrency 1 (µs)", ours1.p50, "≤ 100", ours1.p50 <= 100 ? "yes" : "NO"],
      ["sandbox API calls/s, concurrency 16", ours16.perSecond, "≥ 20,000", ours16.perSecond >= 20_000 ? "yes" : "NO"],
      ["p50 ratio sandbox API / plain function", ratio("plain in-process function"), "", ""],
      ["p50 ratio sandbox API / node:vm", ratio("node:vm context (unsafe)"), "", ""],
      ["p50 ratio sandbox API / quickjs-emscripten", ratio("quickjs-emscripten (wasm)"), "", ""],
      ["p50 ratio sandbox API / raw isolated-vm", ratio("raw isolated-vm applySync"), "", ""],
      ["process hop cost: sandbox API p50 − our isolate in process p50 (µs)", ours1.p50 - inProcess1.p50, "", ""],
      ["floor of a process hop: node IPC round trip p50 (µs)", get("node IPC round trip (no isolate)", 1).p50, "", ""],
      ["async entry cost: raw apply (async) p50 − applySync p50 (µs)", get("raw isolated-vm apply (async)", 1).p50 - get("raw isolated-vm applySync", 1).p50, "", ""],
    ]);
  } finally {
    for (const path of paths) await path.close?.();
    await sandbox.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
