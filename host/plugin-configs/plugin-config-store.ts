// Where stored plugin configs live (issue: plugin config without a per-call cfg): one
// record per tenant, package and plugin, already sealed, so a backend stores and
// returns records and never sees a secret. Backends: a local file (one process) and
// Redis (every node of a cluster); both pass one conformance suite.
import { z } from "zod";
import { SealedSchema } from "./config-sealer.ts";

export const StoredPluginConfigSchema = z.object({
  pkg: z.string(),
  plugin: z.string(),
  /** The package version whose config schema and `validate` accepted it. */
  version: z.string(),
  /** The config with its secret fields replaced: what Get and List answer. */
  redacted: z.record(z.string(), z.unknown()),
  /** The whole config, sealed with the deployment key. */
  sealed: SealedSchema,
  updated_at: z.string(),
});

export type StoredPluginConfig = z.infer<typeof StoredPluginConfigSchema>;

export interface PluginConfigStore {
  get(tenant: string, pkg: string, plugin: string): Promise<StoredPluginConfig | null>;
  /** Stores the record, replacing the one of the same tenant, package and plugin. */
  put(tenant: string, record: StoredPluginConfig): Promise<void>;
  /** True when there was a record to delete. */
  delete(tenant: string, pkg: string, plugin: string): Promise<boolean>;
  /** The tenant's records, by package then plugin. */
  list(tenant: string): Promise<StoredPluginConfig[]>;
  close(): Promise<void>;
}

export function byPackageThenPlugin(a: StoredPluginConfig, b: StoredPluginConfig): number {
  return a.pkg.localeCompare(b.pkg) || a.plugin.localeCompare(b.plugin);
}
