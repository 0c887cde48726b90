// The worker entry point (`npm run worker`): the only worker module that reads
// process.env. Loads the config (path from CONFIG), runs install jobs from Redis until
// SIGINT / SIGTERM, then hands its running installs back to the queue and exits.
import { ConfigError, loadConfig, type LoadedConfig } from "./config/index.ts";
import { createLogger } from "./logging/logger.ts";
import { startWorker } from "./worker/worker-runtime.ts";
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
  for (const warning of loaded.warnings) logger.warn(warning);

  const worker = await startWorker(config, logger).catch((err: unknown) => {
    fail(`Cannot start the worker: ${err instanceof Error ? err.message : String(err)}`);
  });
  logger.info({ node: worker.nodeId, config: loaded.file ?? "(embedded defaults)" }, "worker running");

  shutdownOnSignals(() => worker.close(), logger);
}

void main().catch((err: unknown) => fail(`Fatal: ${err instanceof Error ? err.message : String(err)}`));
