// The worker entry point (`npm run worker`): the only worker module that reads
// process.env. Loads the config (path from CONFIG), runs install jobs from Redis until
// SIGINT / SIGTERM, then hands its running installs back to the queue and exits.
import "./supported-node.ts";
import { fail, loadConfigOrExit } from "./entry-config.ts";
import { createLogger } from "./logging/logger.ts";
import { startWorker } from "./worker/worker-runtime.ts";
import { shutdownOnSignals } from "./shutdown-on-signals.ts";

async function main(): Promise<void> {
  const loaded = loadConfigOrExit(process.env, process.cwd());
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
