// The entry point (`npm start`): the only module that reads process.env. Loads the
// config (path from CONFIG), starts the runtime, and stops it on SIGINT / SIGTERM.
import { startRuntime } from "./app.ts";
import { ConfigError, loadConfig, type LoadedConfig } from "./config/index.ts";
import { createLogger } from "./logging/logger.ts";

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

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    void runtime.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

void main().catch((err: unknown) => fail(`Fatal: ${err instanceof Error ? err.message : String(err)}`));
