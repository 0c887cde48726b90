// Stored plugin configs in Redis, so every node of a cluster reads the same ones: one
// hash per tenant (`{prefix}:plugin-configs:{tenant}`), one field per package and
// plugin (`["pkg","plugin"]` as JSON, so no name can be mistaken for another).
import { RuntimeError } from "../../sandbox/errors.ts";
import { byPackageThenPlugin, StoredPluginConfigSchema, type PluginConfigStore, type StoredPluginConfig } from "../plugin-configs/plugin-config-store.ts";
import type { RedisClient } from "./redis-connection.ts";
import type { RedisKeys } from "./redis-keys.ts";

const fieldOf = (pkg: string, plugin: string): string => JSON.stringify([pkg, plugin]);

/** Redis away is the same 503 the install queue answers then: retry later. */
function redisFailure(err: unknown): never {
  throw new RuntimeError("QueueUnavailable", "the plugin config store (Redis) is unavailable; try again", { cause: err });
}

export class RedisPluginConfigStore implements PluginConfigStore {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async get(tenant: string, pkg: string, plugin: string): Promise<StoredPluginConfig | null> {
    const raw = await this.client.hget(this.keys.pluginConfigs(tenant), fieldOf(pkg, plugin)).catch(redisFailure);
    return raw === null ? null : parseRecord(raw);
  }

  async put(tenant: string, record: StoredPluginConfig): Promise<void> {
    await this.client.hset(this.keys.pluginConfigs(tenant), fieldOf(record.pkg, record.plugin), JSON.stringify(record)).catch(redisFailure);
  }

  async delete(tenant: string, pkg: string, plugin: string): Promise<boolean> {
    return (await this.client.hdel(this.keys.pluginConfigs(tenant), fieldOf(pkg, plugin)).catch(redisFailure)) > 0;
  }

  async list(tenant: string): Promise<StoredPluginConfig[]> {
    const all = await this.client.hgetall(this.keys.pluginConfigs(tenant)).catch(redisFailure);
    return Object.values(all).map(parseRecord).sort(byPackageThenPlugin);
  }

  async close(): Promise<void> {
    // The connection belongs to whoever passed it in.
  }
}

function parseRecord(raw: string): StoredPluginConfig {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  const parsed = StoredPluginConfigSchema.safeParse(value);
  if (!parsed.success) throw new RuntimeError("Internal", "a stored plugin config in Redis is damaged (not a plugin config record)");
  return parsed.data;
}
