// Stored per-tenant plugin configs: what SetPluginConfig keeps and a call without `cfg`
// uses. The config is sealed whole with the deployment key; a redacted copy (secret
// fields replaced, decided by the plugin's config schema when it is set) is kept
// beside it for Get and List, which never decrypt. Validation against the plugin's
// schema and `validate` happens before `set` is called (the tool runner's job).
import type { ConfigSealer } from "./config-sealer.ts";
import type { PluginConfigStore, StoredPluginConfig } from "./plugin-config-store.ts";
import { redactSecrets } from "./secret-fields.ts";

/** A stored config as an answer shows it: secrets redacted. */
export interface PluginConfigView {
  tenant: string;
  pkg: string;
  plugin: string;
  version: string;
  cfg: Record<string, unknown>;
  updated_at: string;
}

export interface SetPluginConfig {
  pkg: string;
  plugin: string;
  /** The version whose schema accepted `cfg`. */
  version: string;
  cfg: Record<string, unknown>;
  /** That version's config JSON Schema: it says which fields are secret. */
  configSchema: unknown;
}

/** What a tool call needs: the tenant's stored config of a plugin, opened. */
export interface StoredConfigResolver {
  resolve(tenant: string, pkg: string, plugin: string): Promise<Record<string, unknown> | null>;
}

function view(tenant: string, record: StoredPluginConfig): PluginConfigView {
  return { tenant, pkg: record.pkg, plugin: record.plugin, version: record.version, cfg: record.redacted, updated_at: record.updated_at };
}

export class PluginConfigs implements StoredConfigResolver {
  constructor(
    private readonly store: PluginConfigStore,
    private readonly sealer: ConfigSealer,
  ) {}

  async set(tenant: string, request: SetPluginConfig): Promise<PluginConfigView> {
    const owner = { tenant, pkg: request.pkg, plugin: request.plugin };
    const record: StoredPluginConfig = {
      pkg: request.pkg,
      plugin: request.plugin,
      version: request.version,
      redacted: redactSecrets(request.cfg, request.configSchema),
      sealed: this.sealer.seal(owner, JSON.stringify(request.cfg)),
      updated_at: new Date().toISOString(),
    };
    await this.store.put(tenant, record);
    return view(tenant, record);
  }

  async get(tenant: string, pkg: string, plugin: string): Promise<PluginConfigView | null> {
    const record = await this.store.get(tenant, pkg, plugin);
    return record === null ? null : view(tenant, record);
  }

  async list(tenant: string, pkg?: string): Promise<PluginConfigView[]> {
    const records = await this.store.list(tenant);
    return records.filter((r) => pkg === undefined || r.pkg === pkg).map((r) => view(tenant, r));
  }

  delete(tenant: string, pkg: string, plugin: string): Promise<boolean> {
    return this.store.delete(tenant, pkg, plugin);
  }

  async resolve(tenant: string, pkg: string, plugin: string): Promise<Record<string, unknown> | null> {
    const record = await this.store.get(tenant, pkg, plugin);
    if (record === null) return null;
    return JSON.parse(this.sealer.open({ tenant, pkg, plugin }, record.sealed)) as Record<string, unknown>;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
