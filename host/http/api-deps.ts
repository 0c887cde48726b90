// What the HTTP layer is built from. The composition root (host/app.ts) supplies the
// real parts; the layer itself never constructs any of them.
import type { Sandbox } from "../../sandbox/sandbox-api.ts";
import type { JobQueue } from "../jobs/index.ts";
import type { Logger } from "../logging/logger.ts";
import type { UploadStore } from "../package/index.ts";
import type { RuntimeMetrics, ScrapeAccess } from "../metrics/index.ts";
import type { TenantMeter, VersionChannels } from "../tenancy/index.ts";
import type { PluginConfigs } from "../plugin-configs/index.ts";
import type { ToolRunner } from "../tools/index.ts";
import type { PackageCatalog } from "./package-catalog.ts";

export interface ComponentHealth {
  state: "ok" | "degraded" | "down";
  [detail: string]: unknown;
}

export interface ApiDeps {
  packages: PackageCatalog;
  jobs: JobQueue;
  sandbox: Pick<Sandbox, "health">;
  /** Every tool call and validate goes through it, whatever the transport. */
  tools: ToolRunner;
  /** Channel operations (SetChannel, RollbackChannel, GetChannels). */
  channels: VersionChannels;
  /** GetUsage. */
  meter: TenantMeter;
  /** The tenants' stored plugin configs (SetPluginConfig and friends). */
  pluginConfigs: PluginConfigs;
  /** The state of package storage, for /v1/health. */
  storageHealth(): Promise<ComponentHealth>;
  /** Where UploadPackage keeps zips; undefined where install jobs run on other machines (Redis workers). */
  uploads: UploadStore | undefined;
  /** `package.max_package_bytes`: the cap of an uploaded zip. */
  maxPackageBytes: number;
  /** The state of this node's bundler (the esbuild service), for /v1/health. */
  bundlerHealth(): ComponentHealth;
  logger: Logger;
  /** This node's metrics and who may scrape them; absent: no /metrics (`metrics.enabled: false`). */
  metrics?: { registry: RuntimeMetrics; access: ScrapeAccess };
  /** `server.max_body_bytes`. */
  maxBodyBytes: number;
}
