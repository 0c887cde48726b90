// Which layers of the OS sandbox this machine allows, found once per host process: each
// tool must be there and run, the uid switch needs root, and the whole wrapper is tried
// once for real (a throwaway node started exactly as a child would be) before any child
// depends on it. The seccomp layer is loaded by each child itself and reported by it.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve, dirname } from "node:path";
import { arch } from "node:process";
import { fileURLToPath } from "node:url";
import type { OsSandboxTools } from "../options.ts";
import { osSandboxLaunch } from "./launch.ts";
import { seccompSupported } from "./seccomp.ts";

export type OsLayer = "network" | "pid" | "mount" | "uid" | "rlimits" | "seccomp";
export const OS_LAYERS: readonly OsLayer[] = ["network", "pid", "mount", "uid", "rlimits", "seccomp"];

export interface MissingLayer {
  layer: OsLayer;
  reason: string;
}

export interface OsSandboxPlan {
  mode: "auto" | "required" | "off";
  /** The tools each child is wrapped in (absent: that wrapper is not used). */
  tools: { bwrap?: string; setpriv?: string; prlimit?: string };
  /** Layers the wrapper sets up (seccomp included when the child is expected to load it). */
  layers: OsLayer[];
  missing: MissingLayer[];
}

const here = dirname(fileURLToPath(import.meta.url));
const cacheDir = join(resolve(here, "..", ".."), "node_modules", ".cache", "hiagent-sandbox");

/** Runs a command; null when it exits 0, else its first line of complaint. */
function runs(command: string, args: string[], launch?: ReturnType<typeof osSandboxLaunch>): Promise<string | null> {
  return new Promise((resolvePromise) => {
    let stderr = "";
    const child = spawn(command, args, { stdio: launch ? launch.stdio : ["ignore", "ignore", "pipe"], env: launch?.env ?? {} });
    launch?.done();
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (t: string) => (stderr += t));
    child.once("error", (err) => resolvePromise(`${command}: ${err.message}`));
    child.once("exit", (code, signal) => {
      if (code === 0) return resolvePromise(null);
      const line = stderr.trim().split("\n")[0] ?? "";
      resolvePromise(line !== "" ? line : `${command} exited with ${signal ?? `code ${code}`}`);
    });
  });
}

function probeScript(): string {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, "os-sandbox-probe.mjs");
  writeFileSync(file, "process.exit(0);\n", { mode: 0o644 });
  chmodSync(file, 0o644);
  return file;
}

async function tryWrapper(tools: OsSandboxPlan["tools"]): Promise<string | null> {
  const plan: OsSandboxPlan = { mode: "auto", tools, layers: [], missing: [] };
  let launch: ReturnType<typeof osSandboxLaunch>;
  try {
    launch = osSandboxLaunch(plan, { entry: probeScript(), execArgv: [], env: {} });
  } catch (err) {
    return (err as Error).message;
  }
  return runs(launch.command, launch.args, launch);
}

const plans = new Map<string, Promise<OsSandboxPlan>>();

/** The layers the machine allows for `mode`, memoised per tool set. */
export function detectOsSandbox(mode: OsSandboxPlan["mode"], tools: OsSandboxTools): Promise<OsSandboxPlan> {
  if (mode === "off") return Promise.resolve({ mode, tools: {}, layers: [], missing: [] });
  const key = `${mode}\n${tools.bwrap}\n${tools.setpriv}\n${tools.prlimit}`;
  let plan = plans.get(key);
  if (!plan) {
    plan = detect(mode, tools);
    plans.set(key, plan);
  }
  return plan;
}

async function detect(mode: "auto" | "required", tools: OsSandboxTools): Promise<OsSandboxPlan> {
  const missing: MissingLayer[] = [];
  const chosen: OsSandboxPlan["tools"] = {};
  const [prlimit, setpriv, bwrap] = await Promise.all([
    runs(tools.prlimit, ["--version"]),
    process.getuid?.() === 0 ? runs(tools.setpriv, ["--version"]) : Promise.resolve("the server does not run as root, so its children keep its user"),
    runs(tools.bwrap, ["--version"]),
  ]);
  if (prlimit === null) chosen.prlimit = tools.prlimit;
  else missing.push({ layer: "rlimits", reason: prlimit });
  if (setpriv === null) chosen.setpriv = tools.setpriv;
  else missing.push({ layer: "uid", reason: setpriv });
  if (chosen.prlimit && !chosen.setpriv) missing.push({ layer: "rlimits", reason: "no process-count limit without a uid of its own" });
  if (bwrap === null) {
    let failure = await tryWrapper({ ...chosen, bwrap: tools.bwrap });
    if (failure !== null && chosen.setpriv) {
      // bwrap may work for root but not as the unprivileged uid: keep the namespaces.
      const withoutUid = await tryWrapper({ prlimit: chosen.prlimit, bwrap: tools.bwrap });
      if (withoutUid === null) {
        missing.push({ layer: "uid", reason: `bwrap does not run as uid 65534: ${failure}` });
        delete chosen.setpriv;
        failure = null;
      }
    }
    if (failure === null) chosen.bwrap = tools.bwrap;
    else for (const layer of ["network", "pid", "mount"] as const) missing.push({ layer, reason: `bwrap does not work here: ${failure}` });
  } else {
    for (const layer of ["network", "pid", "mount"] as const) missing.push({ layer, reason: bwrap });
  }
  if (!chosen.bwrap && chosen.setpriv) {
    // Without bwrap's view the unprivileged uid reads the project's own files, which a
    // folder only root may enter (a checkout under /root) keeps from it.
    const failure = await tryWrapper({ ...chosen });
    if (failure !== null) {
      missing.push({ layer: "uid", reason: `node does not start as uid 65534 without bwrap: ${failure}` });
      delete chosen.setpriv;
      if (chosen.prlimit) missing.push({ layer: "rlimits", reason: "no process-count limit without a uid of its own" });
    }
  }
  if (!seccompSupported(arch)) missing.push({ layer: "seccomp", reason: `no seccomp filter for ${arch}` });
  else if (!koffiPresent()) missing.push({ layer: "seccomp", reason: "the koffi package is not installed" });
  const gone = new Set(missing.map((m) => m.layer));
  return { mode, tools: chosen, layers: OS_LAYERS.filter((l) => !gone.has(l)), missing };
}

function koffiPresent(): boolean {
  try {
    createRequire(import.meta.url).resolve("koffi");
    return true;
  } catch {
    return false;
  }
}

/** One line naming what is missing, for `required` refusals and `auto` warnings. */
export function describeMissing(missing: readonly MissingLayer[]): string {
  const byLayer = new Map<OsLayer, string[]>();
  for (const m of missing) byLayer.set(m.layer, [...(byLayer.get(m.layer) ?? []), m.reason]);
  return [...byLayer].map(([layer, reasons]) => `${layer} (${[...new Set(reasons)].join("; ")})`).join(", ");
}
