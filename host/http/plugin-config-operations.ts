// Stored per-tenant plugin configs over /v1: SetPluginConfig checks the cfg with the
// plugin's config schema and its `validate` (through the tool runner, as
// RunPluginValidate does) before storing it; Get and List answer with secrets
// redacted; a call that brings no `cfg` then runs with the stored one. A request acts
// on the caller's own tenant; only an admin may name another.
import { RuntimeError } from "../../sandbox/errors.ts";
import type { ApiDeps } from "./api-deps.ts";
import { DeletedData, ListPluginConfigsBody, PluginConfigData, PluginConfigRefBody, SetPluginConfigBody } from "./api-schemas.ts";
import { respondData } from "./envelope.ts";
import { clientSignal } from "./node-request.ts";
import { mountOperation, type ApiApp, type ApiContext } from "./operation.ts";
import { principalOf } from "./tenant.ts";
import { recordUsage, usageOfError } from "./usage-header.ts";

/** The tenant a config request acts on: the caller's, or the one an admin names. */
function targetTenant(c: ApiContext, named: string | undefined): string {
  const principal = principalOf(c);
  if (principal === undefined) throw new RuntimeError("Internal", "request reached a tenant-scoped operation without authentication");
  if (named === undefined || named === principal.tenant) return principal.tenant;
  if (principal.role !== "admin") throw new RuntimeError("Forbidden", `a token with role ${principal.role} may manage only its own tenant's configs, not ${named}'s`);
  return named;
}

export function mountPluginConfigOperations(app: ApiApp, deps: ApiDeps): void {
  mountOperation(app, {
    name: "SetPluginConfig",
    tag: "Plugin configs",
    summary: "Store a tenant's config of a plugin, used by calls that bring no cfg",
    description:
      "The cfg is checked against the config schema and `validate` of the version a call naming `version` would run (a version, a channel, or by default the latest): " +
      "a cfg the schema refuses is `InvalidConfig`, one `validate` rejects `PluginInvalidConfig`. Secret fields are encrypted at rest. " +
      "The config serves every version of the package; each call checks it against the version called.",
    body: SetPluginConfigBody,
    data: PluginConfigData,
    errors: ["Forbidden", "PackageNotFound", "PluginNotFound", "InvalidConfig", "PluginInvalidConfig", "RateLimited", "ToolError", "ToolTimeout", "ToolMemoryLimit", "QueueUnavailable"],
    async handle(c, body) {
      const tenant = targetTenant(c, body.tenant);
      // The version a call naming `version` (or none) would run: a version, a channel, or the latest.
      const { version } = await deps.channels.resolve(tenant, body.pkg, body.version);
      const target = { pkg: body.pkg, version, plugin: body.plugin };
      await deps.tools
        .validate({ tenant, target, cfg: body.cfg, requestId: c.get("requestId"), signal: clientSignal(c) }, { schemaFailure: "InvalidConfig" })
        .catch((err: unknown) => {
          recordUsage(c, usageOfError(err));
          throw err;
        });
      const installed = await deps.packages.get(body.pkg, version);
      const plugin = installed?.meta.plugins.find((p) => p.name === body.plugin);
      // Which fields are secret comes from this schema: without it nothing is stored.
      if (plugin === undefined) throw new RuntimeError("PackageNotFound", `package ${body.pkg}@${version} is no longer installed`);
      const configSchema = plugin.config_schema;
      const stored = await deps.pluginConfigs.set(tenant, { pkg: body.pkg, plugin: body.plugin, version, cfg: body.cfg, configSchema });
      return respondData(c, stored);
    },
  }, deps.maxBodyBytes);

  mountOperation(app, {
    name: "GetPluginConfig",
    tag: "Plugin configs",
    summary: "A tenant's stored config of a plugin, secrets redacted; null when none is stored",
    body: PluginConfigRefBody,
    data: PluginConfigData.nullable(),
    errors: ["Forbidden", "QueueUnavailable"],
    async handle(c, body) {
      return respondData(c, await deps.pluginConfigs.get(targetTenant(c, body.tenant), body.pkg, body.plugin));
    },
  }, deps.maxBodyBytes);

  mountOperation(app, {
    name: "DeletePluginConfig",
    tag: "Plugin configs",
    summary: "Forget a tenant's stored config of a plugin",
    body: PluginConfigRefBody,
    data: DeletedData,
    errors: ["Forbidden", "QueueUnavailable"],
    async handle(c, body) {
      return respondData(c, { deleted: await deps.pluginConfigs.delete(targetTenant(c, body.tenant), body.pkg, body.plugin) });
    },
  }, deps.maxBodyBytes);

  mountOperation(app, {
    name: "ListPluginConfigs",
    tag: "Plugin configs",
    summary: "A tenant's stored plugin configs, secrets redacted",
    body: ListPluginConfigsBody,
    data: PluginConfigData.array(),
    errors: ["Forbidden", "QueueUnavailable"],
    async handle(c, body) {
      return respondData(c, await deps.pluginConfigs.list(targetTenant(c, body.tenant), body.pkg));
    },
  }, deps.maxBodyBytes);
}
