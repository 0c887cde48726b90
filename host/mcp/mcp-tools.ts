// Which tools an MCP endpoint offers and under which names. Computed from the installed
// metadata on every request (the endpoints are stateless): `/mcp` offers every package
// at the version its `latest` channel serves the tenant (the highest installed unless
// set), `/mcp/{pkg}` one package so, and `/mcp/{pkg}/{version}` the version named, or
// the one the channel named there assigns the tenant. Calls name the channel (or no
// version) to the runner as RunPluginTool does, so they are metered, receipted and
// watched for automatic rollback alike. Names follow the shared rule
// (host/tools/tool-names.ts) and the tool object is the one ExportToolSchemas gives for
// `mcp`, so a tool is the same wherever it is listed. A tool whose input is not an
// object cannot take MCP arguments and is not offered (ExportToolSchemas skips it too).
import type { Tool } from "@modelcontextprotocol/server";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { PackageCatalog, PackageMeta } from "../http/index.ts";
import { objectInputSchema, toMcpTool } from "../tool-schemas/index.ts";
import type { VersionChannels } from "../tenancy/index.ts";
import { assignToolNames, MCP_NAME_RULE, type PluginMeta, type RequestedTool, type ToolMeta, type ToolTarget } from "../tools/index.ts";

export type McpScope = { kind: "all" } | { kind: "package"; pkg: string; version: string | undefined };

/** How an endpoint learns which version serves a tenant: the version channels. */
export type VersionResolver = Pick<VersionChannels, "resolve">;

export interface McpTool {
  /** The name the client calls it by. */
  name: string;
  /** The version listed (the one the scope resolves to now). */
  target: ToolTarget;
  /** The target as a call names it to the runner: the version, channel or nothing of the scope. */
  call: RequestedTool;
  plugin: PluginMeta;
  meta: ToolMeta;
  inputSchema: Record<string, unknown>;
}

/** The package metas a scope covers, each with the version its calls name; an unknown package (or version) is `PackageNotFound`. */
async function packagesIn(catalog: Pick<PackageCatalog, "list">, channels: VersionResolver, tenant: string, scope: McpScope): Promise<{ meta: PackageMeta; requested: string | undefined }[]> {
  const installed = await catalog.list();
  const resolved = async (pkg: string, requested: string | undefined): Promise<{ meta: PackageMeta; requested: string | undefined }> => {
    const { version } = await channels.resolve(tenant, pkg, requested);
    const meta = installed.find((m) => m.name === pkg && m.version === version);
    if (meta === undefined) throw new RuntimeError("PackageNotFound", `package ${pkg}@${version} is not installed`);
    return { meta, requested };
  };
  if (scope.kind === "package") return [await resolved(scope.pkg, scope.version)];
  const found: { meta: PackageMeta; requested: string | undefined }[] = [];
  for (const name of [...new Set(installed.map((m) => m.name))].sort()) {
    // A package whose `latest` channel points at a deleted version is left out.
    const entry = await resolved(name, undefined).catch((err: unknown) => {
      if (err instanceof RuntimeError && err.code === "PackageNotFound") return null;
      throw err;
    });
    if (entry !== null) found.push(entry);
  }
  return found;
}

export async function toolsInScope(catalog: Pick<PackageCatalog, "list">, channels: VersionResolver, tenant: string, scope: McpScope): Promise<McpTool[]> {
  const entries: Omit<McpTool, "name">[] = [];
  for (const { meta: pkg, requested } of await packagesIn(catalog, channels, tenant, scope)) {
    for (const plugin of pkg.plugins) {
      for (const [tool, meta] of Object.entries(plugin.tools)) {
        const inputSchema = objectInputSchema(meta);
        if (inputSchema === null) continue;
        const target = { pkg: pkg.name, version: pkg.version, plugin: plugin.name, tool };
        entries.push({ target, call: { ...target, version: requested }, plugin, meta, inputSchema });
      }
    }
  }
  const names = assignToolNames(entries.map((e) => e.target), scope.kind === "all" ? "deployment" : "package", MCP_NAME_RULE);
  return entries.map((e, i) => ({ ...e, name: names[i]! }));
}

/** MCP's `Tool` as tools/list answers it. */
export function listingOf(tool: McpTool): Tool {
  // Object-rooted JSON Schemas (objectInputSchema/objectOutputSchema); the SDK's type spells out one such shape.
  return toMcpTool(tool.name, tool.plugin, tool.meta, tool.inputSchema) as Tool;
}
