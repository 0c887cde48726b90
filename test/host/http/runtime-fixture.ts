// Starts the whole runtime (real sandbox processes, package manager, queue, HTTP) on a
// free loopback port, in a temp folder, with config built the way the server builds it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startRuntime, type Runtime } from "../../../host/app.ts";
import { loadConfig } from "../../../host/config/index.ts";
import { createLogger, type Logger } from "../../../host/logging/logger.ts";

export interface TestRuntime {
  runtime: Runtime;
  url: string;
  /** The temp folder: working directory, extensions and the only file root. */
  dir: string;
  post(operation: string, body: string | object, init?: RequestInit): Promise<Response>;
  /** The runtime's log lines so far, parsed (only with `captureLogs`). */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startTestRuntime(env: Record<string, string> = {}, { captureLogs = false } = {}): Promise<TestRuntime> {
  const dir = await mkdtemp(path.join(tmpdir(), "runtime-"));
  const { config } = loadConfig({
    cwd: dir,
    env: { HIAGENT_SERVER__PORT: "0", HIAGENT_LOG_LEVEL: captureLogs ? "info" : "silent", HIAGENT_SANDBOX__PROCESSES: "1", ...env },
  });
  const logs: Record<string, unknown>[] = [];
  let logger: Logger | undefined;
  if (captureLogs) {
    const destination = { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) };
    logger = createLogger({ level: config.log_level, destination });
  }
  const runtime = await startRuntime(config, logger === undefined ? {} : { logger });
  return {
    runtime,
    url: runtime.url,
    dir,
    logs,
    post: (operation, body, init = {}) =>
      fetch(`${runtime.url}/v1/${operation}`, {
        method: "POST",
        ...init,
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    async close() {
      await runtime.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
