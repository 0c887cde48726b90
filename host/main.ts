// The entry point (`npm start`): the only module that reads process.env. Loads the
// config (path from CONFIG), starts the runtime, and stops it on SIGINT / SIGTERM.
import { startRuntime } from "./app.ts";
import { ConfigError, loadConfig, type LoadedConfig } from "./config/index.ts";
import { createLogger } from "./logging/logger.ts";
import { shutdownOnSignals } from "./shutdown-on-signals.ts";

function fail(message: string): never {
  process.stderr.write(message.replace(/\s*\n\s*/g, " ") + "\n");
  process.exit(1);
}

async function main(): Promise<void> {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({ env: process.env, cwd: process.cwd() });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
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
