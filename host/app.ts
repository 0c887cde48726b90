// The composition root: builds the runtime from a parsed config (sandbox processes,
// package manager, install queue, HTTP API) and starts serving. `close()` stops it
// all, in the reverse order.
import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { isIP } from "node:net";
import { createSandbox } from "../sandbox/index.ts";
import type { Config } from "./config/index.ts";
import { createHttpApp, listen, type ApiDeps, type ComponentHealth } from "./http/index.ts";
import { EmbeddedJobQueue, type InstallRunner, type JobQueue } from "./jobs/index.ts";
import { createLogger, type Logger } from "./logging/logger.ts";
import { PackageManager } from "./package/index.ts";
import packageJson from "../package.json" with { type: "json" };

export interface Runtime {
  /** Where the API listens, e.g. http://127.0.0.1:8000. */
  url: string;
  port: number;
  config: Config;
  logger: Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Config warnings to log once the logger exists. */
  warnings?: readonly string[];
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}

export async function startRuntime(config: Config, options: StartOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger({ level: config.log_level });
  for (const warning of options.warnings ?? []) logger.warn(warning);
  checkUnimplemented(config, logger);

  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((err: unknown) => logger.error({ err }, "error while shutting down"));
    }
  };

  try {
    await mkdir(config.extensions_dir, { recursive: true });
    const sandbox = createSandbox(config.sandbox, logger.child({ component: "sandbox" }));
    closers.push(() => sandbox.close());
    await sandbox.start();

    const packages = new PackageManager({
      extensionsDir: config.extensions_dir,
      sandbox,
      maxPackageBytes: config.package.max_package_bytes,
      fileRoots: config.package.file_roots,
      fetch: config.sandbox.fetch,
      logger: logger.child({ component: "packages" }),
    });
    const swept = await packages.sweepLeftovers();
    if (swept > 0) logger.info({ swept }, "removed leftovers of interrupted installs");

    const jobs = createJobQueue(config, packages, logger);
    closers.push(() => jobs.close());

    const deps: ApiDeps = {
      packages,
      jobs,
      sandbox,
      storageHealth: () => storageHealth(config),
      logger,
      maxBodyBytes: config.server.max_body_bytes,
    };
    const app = createHttpApp(deps, { version: packageJson.version, auth: config.auth });
    const server = await listen(app, config.server);
    closers.push(() => server.close());

    return { url: server.url, port: server.port, config, logger, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function createJobQueue(config: Config, packages: PackageManager, logger: Logger): JobQueue {
  const runner: InstallRunner = async (request, { signal, onStage }) => {
    const meta = await packages.install({ uri: request.uri, filename: request.filename }, { force: request.force, signal, onStage });
    return { name: meta.name, version: meta.version, uri: meta.uri, filename: meta.filename };
  };
  return new EmbeddedJobQueue({ runner, config: config.jobs, logger: logger.child({ component: "jobs" }) });
}

/** Says which configured parts this build does not run yet, and warns about an open API off loopback. */
function checkUnimplemented(config: Config, logger: Logger): void {
  if (config.auth === undefined && !isLoopback(config.server.host)) {
    logger.warn({ host: config.server.host }, "no auth configured and server.host is not loopback: anyone who can reach this address can install and run plugins");
  }
  if (config.redis !== undefined) {
    logger.warn("redis is configured, but this build runs installs on the embedded in-process queue");
  }
  if (config.storage.backend === "s3") {
    logger.warn("storage.backend s3 is not used by this build yet; packages live in extensions_dir only");
  }
}

async function storageHealth(config: Config): Promise<ComponentHealth> {
  const backend = config.storage.backend;
  try {
    await access(config.extensions_dir, constants.R_OK | constants.W_OK);
    return { state: "ok", backend, extensions_dir: "writable" };
  } catch {
    return { state: "down", backend, extensions_dir: "not writable" };
  }
}
