// A real runtime process for the cluster tests: an API node (`host/main.ts`) or a
// worker (`host/worker-main.ts`), started the way `npm start` / `npm run worker` start
// them, with a generated config file. Its JSON log lines are kept for the test.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export type LogLine = Record<string, unknown>;

export interface ApiResult<T = unknown> {
  status: number;
  data: T;
  error: { code: string; message: string; data?: unknown } | null;
  headers: Headers;
}

export class NodeProcess {
  readonly name: string;
  readonly logs: LogLine[] = [];
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly #waiters = new Set<() => void>();
  url = "";

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    let buffered = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ msg: line, raw: true });
        }
        for (const wake of this.#waiters) wake();
      }
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      // AWS SDK's Node version notice is expected; anything else is kept for debugging.
      if (!chunk.includes("NodeVersionSupportWarning") && !chunk.includes("upgrade to node") && chunk.trim() !== "") this.logs.push({ stderr: chunk });
    });
  }

  /** Starts `script` (relative to the repo) with `CONFIG=configFile` and `HIAGENT_SERVER__PORT=0`. */
  static spawn(name: string, script: string, configFile: string): NodeProcess {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.toUpperCase().startsWith("HIAGENT_")) env[key] = value;
    env.CONFIG = configFile;
    env.HIAGENT_SERVER__PORT = "0";
    // `node --import tsx` is `tsx` without its wrapper process, so a kill reaches the runtime itself.
    const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    return new NodeProcess(name, child);
  }

  static async api(name: string, configFile: string): Promise<NodeProcess> {
    const node = NodeProcess.spawn(name, "host/main.ts", configFile);
    const line = await node.waitForLog((l) => typeof l.msg === "string" && l.msg.startsWith("listening on"), 60_000);
    node.url = String(line.url);
    return node;
  }

  static async worker(name: string, configFile: string): Promise<NodeProcess> {
    const node = NodeProcess.spawn(name, "host/worker-main.ts", configFile);
    await node.waitForLog((l) => l.msg === "install worker ready", 60_000);
    return node;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  logged(msg: string, filter: (line: LogLine) => boolean = () => true): LogLine[] {
    return this.logs.filter((line) => line.msg === msg && filter(line));
  }

  /** The first log line (so far or to come) matching `match`. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.logs.find(match);
        if (found === undefined) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: no matching log line within ${timeoutMs} ms; last lines: ${JSON.stringify(this.logs.slice(-5))}`));
      }, timeoutMs);
      const onExit = (): void => {
        cleanup();
        reject(new Error(`${this.name} exited; last lines: ${JSON.stringify(this.logs.slice(-8))}`));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        this.#child.off("exit", onExit);
      };
      const wake = (): void => void check();
      if (check()) return;
      this.#waiters.add(wake);
      this.#child.once("exit", onExit);
    });
  }

  /** POST /v1/<operation> on an API node (with a bearer token when the deployment has `auth`). */
  async call<T = unknown>(operation: string, body: object = {}, token?: string): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${this.url}/v1/${operation}`, { method: "POST", headers, body: JSON.stringify(body) });
    const json = (await response.json()) as { data: T; error: ApiResult["error"] };
    return { status: response.status, data: json.data, error: json.error, headers: response.headers };
  }

  async health(): Promise<{ status: string; components: Record<string, Record<string, unknown>> }> {
    const response = await fetch(`${this.url}/v1/health`);
    return ((await response.json()) as { data: { status: string; components: Record<string, Record<string, unknown>> } }).data;
  }

  /** SIGKILL: the process dies where it stands (as in a crash). */
  async kill(): Promise<void> {
    if (this.running) this.#child.kill("SIGKILL");
    await this.#exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.#child.kill("SIGTERM");
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}
