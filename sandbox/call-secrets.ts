// Hides a call's secrets before the call leaves the host process: reads which config
// fields are secret from the installed package's own metadata (`meta.json`, written at
// install, so a plugin cannot change its marks at run time), swaps their values for
// fresh placeholders, and keeps the real values with the host. A folder without
// metadata (not installed by the package manager) has no secret fields.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { exposedRefused, secretFieldsOf, type SecretField } from "./bridge/secret-fields.ts";
import { CallSecrets } from "./bridge/secret-placeholders.ts";
import type { PluginMeta } from "./sandbox-api.ts";
import { INSTALLED_FILES } from "./sandbox-api.ts";

const CACHE_CAP = 1024;

interface PluginSecrets {
  configSchema: unknown;
  fields: SecretField[];
}

interface Entry {
  pkg: string;
  version: string;
  fields: Promise<Map<string, PluginSecrets>>;
}

async function readFields(dir: string): Promise<Map<string, PluginSecrets>> {
  const out = new Map<string, PluginSecrets>();
  let meta: { plugins?: unknown };
  try {
    meta = JSON.parse(await readFile(join(dir, INSTALLED_FILES.meta), "utf8")) as { plugins?: unknown };
  } catch {
    return out;
  }
  if (!Array.isArray(meta.plugins)) return out;
  for (const plugin of meta.plugins as PluginMeta[]) {
    if (typeof plugin?.name === "string") out.set(plugin.name, { configSchema: plugin.config_schema, fields: secretFieldsOf(plugin.config_schema) });
  }
  return out;
}

export class CallSecretMinter {
  private readonly cache = new Map<string, Entry>();

  constructor(private readonly allowExposed: boolean) {}

  /**
   * The call's cfg with placeholders in place of its secrets, and the secrets.
   * Rejects a package that exposes a secret when the operator refuses those, and a
   * secret value outside its field's length limits (`code`).
   */
  async mint(
    target: { pkg: string; version: string; dir: string },
    plugin: string,
    cfgJson: string,
    code: "InvalidConfig" | "PluginInvalidConfig",
  ): Promise<{ cfgJson: string; secrets: CallSecrets }> {
    const found = (await this.fieldsOf(target)).get(plugin);
    if (found === undefined || found.fields.length === 0) return { cfgJson, secrets: new CallSecrets([]) };
    if (!this.allowExposed) {
      const exposed = found.fields.find((f) => f.exposed);
      if (exposed) throw exposedRefused(plugin, exposed);
    }
    return CallSecrets.mint(cfgJson, found.configSchema, code);
  }

  /** Forgets a package version's fields (it was dropped, and may be installed again). */
  forget(pkg: string, version: string): void {
    for (const [dir, entry] of this.cache) if (entry.pkg === pkg && entry.version === version) this.cache.delete(dir);
  }

  private fieldsOf(target: { pkg: string; version: string; dir: string }): Promise<Map<string, PluginSecrets>> {
    let entry = this.cache.get(target.dir);
    if (!entry) {
      entry = { pkg: target.pkg, version: target.version, fields: readFields(target.dir) };
      this.cache.set(target.dir, entry);
      while (this.cache.size > CACHE_CAP) this.cache.delete(this.cache.keys().next().value!);
    }
    return entry.fields;
  }
}
