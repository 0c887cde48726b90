// The composition of a worker process (`npm run worker`): its own sandbox (to
// evaluate bundles and make code caches), a package manager building in a scratch
// folder, package storage to publish to, and the bee-queue worker that runs install
// jobs from Redis. `close()` stops it all, in the reverse order.
import { mkdir, rm } from "node:fs/promises";
import { createSandbox } from "../../sandbox/index.ts";
import type { Config } from "../config/index.ts";
import { awaitRedisReady, closeRedis, connectRedis, describeRedis, redisKeyPrefix } from "../jobs/redis-connection.ts";
import { RedisKeys } from "../jobs/redis-keys.ts";
import { newNodeId } from "../jobs/redis-node-heartbeat.ts";
import { RedisPackageEvents } from "../jobs/redis-package-events.ts";
import { RedisPackageLock } from "../jobs/redis-package-lock.ts";
import type { Logger } from "../logging/logger.ts";
import { meteredInstallRunner, RuntimeMetrics, ScrapeAccess, serveMetrics } from "../metrics/index.ts";
import { loadArtifactKey, managerOptionsFromConfig, PackageManager, StorageInstaller } from "../package/index.ts";
import { createPackageStorage } from "../storage/index.ts";
import { InstallWorker } from "./install-worker.ts";
import { scratchDir, sweepDeadScratch } from "./worker-scratch.ts";

export interface WorkerRuntime {
  nodeId: string;
  /** Where the worker serves GET /metrics (`worker.metrics_port`), if it does. */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

const SWEEP_EVERY_MS = 30_000;

export async function startWorker(config: Config, logger: Logger): Promise<WorkerRuntime> {
  const redis = config.redis;
  if (redis === undefined) {
    throw new Error("a worker needs the redis section of the config (without it, installs run on the API node's embedded queue)");
  }
  if (config.storage.backend === "local_path") {
    logger.warn({ base_dir: config.storage.local_path.base_dir }, "storage is local_path: every worker and API node must see the same storage.local_path.base_dir");
  }
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((err: unknown) => logger.error({ err }, "error while shutting down"));
    }
  };

  try {
    const nodeId = newNodeId("worker");
    const { storage, readS3Source } = await createPackageStorage(config.storage);
    closers.push(() => storage.close());
    const storageHealth = await storage.health();
    if (storageHealth.state !== "ok") logger.warn({ storage: storageHealth }, "package storage is not reachable yet");

    const client = connectRedis(redis, { name: "hiagent:worker-locks", maxRetriesPerRequest: null });
    client.on("error", (err: Error) => logger.debug({ err: err.message }, "worker: redis error"));
    closers.push(() => closeRedis(client));
    await awaitRedisReady(client, 5000, describeRedis(redis));
    const keys = new RedisKeys(redisKeyPrefix(redis));

    const artifactKey = await loadArtifactKey(config, logger, true);
    const sandbox = createSandbox(config.sandbox, logger.child({ component: "sandbox" }));
    closers.push(() => sandbox.close());
    await sandbox.start();
    const metrics = config.metrics.enabled ? new RuntimeMetrics({ tenantLabels: config.metrics.tenant_labels }) : undefined;
    metrics?.watchSandbox(sandbox);

    const scratch = scratchDir(config.extensions_dir, nodeId);
    await mkdir(scratch, { recursive: true });
    closers.push(() => rm(scratch, { recursive: true, force: true }));
    const manager = new PackageManager({
      ...managerOptionsFromConfig(config, { extensionsDir: scratch, sandbox, artifactKey, logger: logger.child({ component: "packages" }) }),
      ...(readS3Source === undefined ? {} : { readS3Source }),
    });
    const installer = new StorageInstaller({
      manager,
      storage,
      locks: new RedisPackageLock(client, keys, nodeId),
      events: new RedisPackageEvents({ client, subscriber: null, keys, origin: nodeId }),
      logger: logger.child({ component: "publish" }),
    });

    const sweep = (): void => {
      sweepDeadScratch(config.extensions_dir, client, keys).then(
        (removed) => removed > 0 && logger.info({ removed }, "removed scratch folders of dead workers"),
        (err: unknown) => logger.debug({ err }, "scratch sweep failed"),
      );
    };
    const worker = await InstallWorker.start({
      redis,
      jobs: config.jobs,
      nodeId,
      logger: logger.child({ component: "worker" }),
      runner: meteredInstallRunner(async (request, ctx) => {
        try {
          const meta = await installer.install({ uri: request.uri, filename: request.filename }, { ...ctx, force: request.force });
          return { name: meta.name, version: meta.version, uri: meta.uri, filename: meta.filename };
        } finally {
          sweep();
        }
      }, metrics),
    });
    closers.push(() => worker.close());
    let metricsUrl: string | undefined;
    if (metrics !== undefined && config.worker.metrics_port !== undefined) {
      const server = await serveMetrics(metrics, new ScrapeAccess(config.auth, config.metrics.token_sha256), { host: config.worker.metrics_host, port: config.worker.metrics_port });
      closers.push(() => server.close());
      metricsUrl = server.url;
      logger.info({ url: `${server.url}/metrics` }, "worker metrics served");
    }
    sweep();
    const timer = setInterval(sweep, SWEEP_EVERY_MS).unref();
    closers.push(async () => clearInterval(timer));
    return { nodeId, metricsUrl, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
