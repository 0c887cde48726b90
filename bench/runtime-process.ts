// The runtime under test in its own process, started as `npm start` starts it
// (host/main.ts, config from HIAGENT_* variables, cwd a temp folder), on a free
// loopback port. The benchmark process stays free to generate load and to measure,
// and the server's RSS and CPU profile are its own.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { BENCH_ARTIFACT_KEY } from "./bench-packages.ts";

const MAIN = fileURLToPath(new URL("../host/main.ts", import.meta.url));
/** tsx by URL: the runtime's cwd is a temp folder, where a bare "tsx" would not resolve. */
const TSX = import.meta.resolve("tsx");

export interface RuntimeProcessOptions {
  /** Working directory (relative config paths resolve against it). */
  cwd: string;
  /** Config as HIAGENT_* variables, e.g. { HIAGENT_SANDBOX__MAX_ISOLATES: "100" }. */
  env: Record<string, string>;
  /** Extra Node flags for the API process (e.g. --cpu-prof). */
  execArgv?: string[];
  /** Receives each JSON log line; without it the log goes to /dev/null. */
  onLogLine?: (line: string) => void;
}

export interface SandboxProcessInfo {
  pid: number | null;
  state: string;
  warm_isolates: number;
  restarts: number;
}

export interface RuntimeProcess {
  url: string;
  pid: number;
  /** The sandbox processes, as GET /v1/health reports them. */
  sandboxProcesses(): Promise<SandboxProcessInfo[]>;
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function withoutRuntimeConfig(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // The runtime reads only CONFIG and HIAGENT_*: none of the caller's may leak in.
  return Object.fromEntries(Object.entries(env).filter(([key]) => key !== "CONFIG" && !key.startsWith("HIAGENT_")));
}

export async function startRuntimeProcess(options: RuntimeProcessOptions): Promise<RuntimeProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [...(options.execArgv ?? []), "--import", TSX, MAIN], {
    cwd: options.cwd,
    // Unless asked for, stdout (the JSON log lines) goes to /dev/null: logging stays on
    // at its configured level, as in production, without the benchmark reading it.
    stdio: ["ignore", options.onLogLine ? "pipe" : "ignore", "inherit"],
    env: { ...withoutRuntimeConfig(process.env), HIAGENT_SERVER__HOST: "127.0.0.1", HIAGENT_SERVER__PORT: String(port), HIAGENT_PACKAGE__ARTIFACT_KEY: BENCH_ARTIFACT_KEY, ...options.env },
  });
  if (options.onLogLine && child.stdout) createInterface({ input: child.stdout }).on("line", options.onLogLine);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const health = async (): Promise<{ components: { sandbox: { processes: SandboxProcessInfo[] } } }> => {
    const res = await fetch(`${url}/v1/health`);
    const body = (await res.json()) as { data: { components: { sandbox: { processes: SandboxProcessInfo[] } } } };
    return body.data;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the runtime exited with code ${child.exitCode} before serving`);
    try {
      const h = await health();
      if (h.components.sandbox.processes.every((p) => p.state === "ok")) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("the runtime did not serve within 60 s");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid!,
    sandboxProcesses: async () => (await health()).components.sandbox.processes,
    async close() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
