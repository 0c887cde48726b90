// The entry point (`npm start`): the only module that reads process.env. Loads the
// config (path from CONFIG), starts the runtime, and stops it on SIGINT / SIGTERM.
import "./supported-node.ts";
import { startRuntime } from "./app.ts";
import { fail, loadConfigOrExit } from "./entry-config.ts";
import { createLogger } from "./logging/logger.ts";
import { shutdownOnSignals } from "./shutdown-on-signals.ts";

async function main(): Promise<void> {
  const loaded = loadConfigOrExit(process.env, process.cwd());
  const { config } = loaded;
  const logger = createLogger({ level: config.log_level });

  const runtime = await startRuntime(config, { logger, warnings: loaded.warnings }).catch((err: unknown) => {
    const reason = err instanceof Error ? err.message : String(err);
    fail(`Cannot start on ${config.server.host}:${config.server.port}: ${reason}`);
  });
  logger.info({ url: runtime.url, config: loaded.file ?? "(embedded defaults)", docs: `${runtime.url}/docs` }, `listening on ${runtime.url}`);

  shutdownOnSignals(() => runtime.close(), logger);
}

void main().catch((err: unknown) => fail(`Fatal: ${err instanceof Error ? err.message : String(err)}`));
