// The composition root: builds the runtime from a parsed config (sandbox processes,
// package manager, install queue, HTTP API) and starts serving. `close()` stops it
// all, in the reverse order.
//
// Two shapes. Embedded (no `redis`, `local_path` storage): installs run on an
// in-process queue straight into `extensions/`, nothing else needed. Shared (`redis`
// configured, or S3 storage): package storage is the truth, installs publish to it
// (on bee-queue workers when there is Redis), and this node materialises packages into
// its own `extensions/` on first use and hears other nodes' deletes over Redis.
import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { isIP } from "node:net";
import path from "node:path";
import { createSandbox } from "../sandbox/index.ts";
import { ToolRunner } from "./tools/index.ts";
import type { Config } from "./config/index.ts";
import { createHttpApp, listen, type ApiDeps, type ComponentHealth, type PackageCatalog } from "./http/index.ts";
import { EmbeddedJobQueue, type InstallRunner, type JobQueue } from "./jobs/index.ts";
import { createLogger, type Logger } from "./logging/logger.ts";
import { meteredInstallRunner, RuntimeMetrics, ScrapeAccess } from "./metrics/index.ts";
import { bundlerService, loadArtifactKey, LocalVersionLocks, managerOptionsFromConfig, PackageManager, SharedPackageCatalog, StorageInstaller, UploadStore, type PackageManagerOptions } from "./package/index.ts";
import { ConfigSealer, FilePluginConfigStore, loadSecretsKey, PluginConfigs, type PluginConfigStore } from "./plugin-configs/index.ts";
import { createPackageStorage, type PackageStorage } from "./storage/index.ts";
import { MemoryChannelStore, MemoryQuotaStore, MemoryUsageStore, TenantMeter, usageRetentionMs, VersionChannels, type ChannelStore, type QuotaStore, type UsageStore } from "./tenancy/index.ts";
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

type Closers = (() => Promise<void>)[];

/** Where quotas, usage and channels are kept: Redis when the deployment has one, else this process. */
interface TenancyStores {
  quotas: QuotaStore;
  usage: UsageStore;
  channels: ChannelStore;
}

interface Composed {
  packages: PackageCatalog;
  jobs: JobQueue;
  tenancy: TenancyStores;
  /** Where stored plugin configs live: Redis when there is one, else a local file. */
  configStore: PluginConfigStore;
  storageHealth(): Promise<ComponentHealth>;
}

function memoryStores(config: Config): TenancyStores {
  return { quotas: new MemoryQuotaStore(), usage: new MemoryUsageStore(usageRetentionMs(config.tenants)), channels: new MemoryChannelStore() };
}

/** A concurrency lease outlives the longest call by this much before it expires on its own. */
const LEASE_MARGIN_MS = 60_000;

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}

/** Whether installs go through package storage (several nodes, or S3) rather than straight into `extensions/`. */
export function usesSharedStorage(config: Config): boolean {
  return config.redis !== undefined || config.storage.backend === "s3";
}

export async function startRuntime(config: Config, options: StartOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger({ level: config.log_level });
  for (const warning of options.warnings ?? []) logger.warn(warning);
  warnIfOpen(config, logger);

  const closers: Closers = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((err: unknown) => logger.error({ err }, "error while shutting down"));
    }
  };

  try {
    await mkdir(config.extensions_dir, { recursive: true });
    const secretsKey = await loadSecretsKey(config.secrets);
    if (secretsKey.origin === "generated") logger.info({ file: secretsKey.file }, "generated the secrets key that seals stored plugin configs");
    if (config.redis !== undefined && secretsKey.file === config.secrets.generated_key_file) {
      logger.warn({ file: secretsKey.file }, "secrets.key / secrets.key_file not set: stored plugin configs are sealed with a key generated on this machine, which other nodes do not have; give every node the same key");
    }
    const sandbox = createSandbox(config.sandbox, logger.child({ component: "sandbox" }));
    closers.push(() => sandbox.close());
    await sandbox.start();
    const metrics = config.metrics.enabled ? new RuntimeMetrics({ tenantLabels: config.metrics.tenant_labels }) : undefined;
    metrics?.watchSandbox(sandbox);

    const artifactKey = await loadArtifactKey(config, logger, usesSharedStorage(config));
    // Uploaded zips are read by the install job; with Redis that job runs on a worker,
    // which cannot see this node's files, so uploads are taken only without Redis.
    const uploads = config.redis === undefined
      ? new UploadStore({ dir: path.join(config.extensions_dir, ".uploads"), keepMs: config.jobs.keep_finished_seconds * 1000 })
      : undefined;
    const managerOptions: PackageManagerOptions = {
      ...managerOptionsFromConfig(config, { extensionsDir: config.extensions_dir, sandbox, artifactKey, logger: logger.child({ component: "packages" }) }),
      ...(uploads === undefined ? {} : { uploads }),
    };
    const composed = usesSharedStorage(config)
      ? await composeShared(config, managerOptions, logger, closers, metrics)
      : await composeEmbedded(config, new PackageManager(managerOptions), logger, closers, metrics);
    metrics?.watchQueue(composed.jobs);

    const channels = new VersionChannels({ store: composed.tenancy.channels, packages: composed.packages, logger: logger.child({ component: "channels" }) });
    const meter = new TenantMeter({
      tenants: config.tenants,
      quotas: composed.tenancy.quotas,
      usage: composed.tenancy.usage,
      leaseMs: config.sandbox.timeout_ms + LEASE_MARGIN_MS,
      logger: logger.child({ component: "quotas" }),
    });
    const pluginConfigs = new PluginConfigs(composed.configStore, new ConfigSealer(secretsKey.key));
    closers.push(() => pluginConfigs.close());
    const deps: ApiDeps = {
      packages: composed.packages,
      jobs: composed.jobs,
      sandbox,
      tools: new ToolRunner({ packages: composed.packages, sandbox, configs: pluginConfigs, channels, meter, metrics }),
      channels,
      meter,
      pluginConfigs,
      storageHealth: composed.storageHealth,
      uploads,
      maxPackageBytes: config.package.max_package_bytes,
      bundlerHealth: () => ({ ...bundlerService.health() }),
      logger,
      maxBodyBytes: config.server.max_body_bytes,
      ...(metrics === undefined ? {} : { metrics: { registry: metrics, access: new ScrapeAccess(config.auth, config.metrics.token_sha256) } }),
    };
    const app = createHttpApp(deps, { version: packageJson.version, auth: config.auth, mcp: config.mcp });
    const server = await listen(app, config.server);
    closers.push(() => server.close());

    return { url: server.url, port: server.port, config, logger, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function sweep(packages: PackageManager, logger: Logger): Promise<void> {
  const swept = await packages.sweepLeftovers();
  if (swept > 0) logger.info({ swept }, "removed leftovers of interrupted installs");
}

/** One process, packages straight in `extensions/`: `npm start` with nothing else installed. */
async function composeEmbedded(config: Config, packages: PackageManager, logger: Logger, closers: Closers, metrics: RuntimeMetrics | undefined): Promise<Composed> {
  await sweep(packages, logger);
  const runner: InstallRunner = meteredInstallRunner(async (request, { signal, onStage }) => {
    const meta = await packages.install({ uri: request.uri, filename: request.filename }, { force: request.force, signal, onStage });
    return { name: meta.name, version: meta.version, uri: meta.uri, filename: meta.filename };
  }, metrics);
  const jobs = new EmbeddedJobQueue({ runner, config: config.jobs, logger: logger.child({ component: "jobs" }) });
  closers.push(() => jobs.close());
  const storageHealth = async (): Promise<ComponentHealth> => {
    const writable = await isWritable(config.extensions_dir);
    return { state: writable ? "ok" : "down", backend: config.storage.backend, ...extensionsHealth(writable) };
  };
  return { packages, jobs, tenancy: memoryStores(config), configStore: new FilePluginConfigStore(config.plugin_configs.file_path), storageHealth };
}

/** Package storage is the truth; with Redis, workers install and nodes hear each other's deletes. */
async function composeShared(config: Config, managerOptions: PackageManagerOptions, logger: Logger, closers: Closers, metrics: RuntimeMetrics | undefined): Promise<Composed> {
  const { storage, readS3Source } = await createPackageStorage(config.storage);
  closers.push(() => storage.close());
  const manager = new PackageManager({ ...managerOptions, ...(readS3Source === undefined ? {} : { readS3Source }) });
  await sweep(manager, logger);
  const catalogLogger = logger.child({ component: "packages" });

  let jobs: JobQueue;
  let catalog: SharedPackageCatalog;
  let tenancy: TenancyStores;
  let configStore: PluginConfigStore;
  if (config.redis !== undefined) {
    // Loaded only here, so the embedded defaults never load the Redis clients.
    const { connectRedisServices } = await import("./jobs/redis-services.ts");
    const services = await connectRedisServices(config.redis, config.jobs, logger, closers);
    jobs = services.queue;
    configStore = services.pluginConfigs;
    catalog = new SharedPackageCatalog({ manager, storage, locks: services.locks, events: services.events, logger: catalogLogger });
    const [{ RedisQuotaStore }, { RedisUsageStore }, { RedisChannelStore }] = await Promise.all([
      import("./tenancy/redis-quota-store.ts"),
      import("./tenancy/redis-usage-store.ts"),
      import("./tenancy/redis-channel-store.ts"),
    ]);
    tenancy = {
      quotas: new RedisQuotaStore(services.client, services.keys),
      usage: new RedisUsageStore(services.client, services.keys, usageRetentionMs(config.tenants)),
      channels: new RedisChannelStore(services.client, services.keys),
    };
  } else {
    tenancy = memoryStores(config);
    const locks = new LocalVersionLocks();
    const installer = new StorageInstaller({ manager, storage, locks, logger: catalogLogger });
    const runner: InstallRunner = meteredInstallRunner(async (request, { signal, onStage }) => {
      const meta = await installer.install({ uri: request.uri, filename: request.filename }, { force: request.force, signal, onStage });
      return { name: meta.name, version: meta.version, uri: meta.uri, filename: meta.filename };
    }, metrics);
    const embedded = new EmbeddedJobQueue({ runner, config: config.jobs, logger: logger.child({ component: "jobs" }) });
    closers.push(() => embedded.close());
    jobs = embedded;
    configStore = new FilePluginConfigStore(config.plugin_configs.file_path);
    catalog = new SharedPackageCatalog({ manager, storage, locks, logger: catalogLogger });
  }
  await catalog.start();
  return { packages: catalog, jobs, tenancy, configStore, storageHealth: () => sharedStorageHealth(storage, config.extensions_dir) };
}

/** Warns about an open API off loopback (with `auth`, every /v1 call needs a bearer token). */
function warnIfOpen(config: Config, logger: Logger): void {
  if (config.auth === undefined && !isLoopback(config.server.host)) {
    logger.warn({ host: config.server.host }, "no auth configured and server.host is not loopback: anyone who can reach this address can install and run plugins");
  }
}

async function isWritable(dir: string): Promise<boolean> {
  return access(dir, constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
}

function extensionsHealth(writable: boolean): { extensions_dir: string } {
  return { extensions_dir: writable ? "writable" : "not writable" };
}

async function sharedStorageHealth(storage: PackageStorage, extensionsDir: string): Promise<ComponentHealth> {
  const [shared, writable] = await Promise.all([storage.health(), isWritable(extensionsDir)]);
  return { ...shared, state: writable ? shared.state : "down", ...extensionsHealth(writable) };
}
