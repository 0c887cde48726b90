// CPU profiles of running Node processes, for finding out why a figure misses its
// target: the sandbox processes are forked with fixed flags (no --cpu-prof), so their
// inspector is opened with SIGUSR1 and driven over its loopback WebSocket; the
// benchmark's own process is profiled through node:inspector. Then the top functions
// by self time, as a table.
import { Session } from "node:inspector/promises";
import { WebSocket } from "undici";

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** Opens the inspector of `pid` (SIGUSR1; it listens on its --inspect-port, 9229 by default) and returns its WebSocket URL. */
export async function openInspector(pid: number, port = 9229): Promise<string> {
  process.kill(pid, "SIGUSR1");
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
      const url = targets[0]?.webSocketDebuggerUrl;
      if (url) return url;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the inspector of pid ${pid} did not open on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A CPU profile of the process behind `wsUrl` while `work` runs. */
export async function profileRemote(wsUrl: string, work: () => Promise<void>, samplingIntervalUs = 200): Promise<CpuProfile> {
  const ws = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`cannot connect to ${wsUrl}`)), { once: true });
  });
  let nextId = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.addEventListener("message", (event) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result);
  });
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: samplingIntervalUs });
    await send("Profiler.start");
    await work();
    const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
    return profile;
  } finally {
    ws.close();
  }
}

/** A CPU profile of this process while `work` runs. */
export async function profileSelf(work: () => Promise<void>, samplingIntervalUs = 200): Promise<CpuProfile> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: samplingIntervalUs });
    await session.post("Profiler.start");
    await work();
    const { profile } = await session.post("Profiler.stop");
    return profile as unknown as CpuProfile;
  } finally {
    session.disconnect();
  }
}

/** The `top` functions by self time: [function, where, self ms, self %]. */
export function topSelfTime(profile: CpuProfile, top = 15): (string | number)[][] {
  const total = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  const ms = (profile.endTime - profile.startTime) / 1000;
  const byFunction = new Map<string, { name: string; where: string; hits: number }>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\/(node_modules\/)?/, "$1").slice(-48);
    const where = url ? `${file}:${lineNumber + 1}` : "";
    const key = `${functionName}@${where}`;
    const entry = byFunction.get(key) ?? { name: functionName || "(anonymous)", where, hits: 0 };
    entry.hits += node.hitCount ?? 0;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .sort((a, b) => b.hits - a.hits)
    .slice(0, top)
    .map((e) => [e.name, e.where, (e.hits / Math.max(1, total)) * ms, `${((e.hits / Math.max(1, total)) * 100).toFixed(1)} %`]);
}
