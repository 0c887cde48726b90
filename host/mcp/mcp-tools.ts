// Which tools an MCP endpoint offers and under which names. Computed from the installed
// metadata on every request (the endpoints are stateless): `/mcp` offers the latest
// installed version of every package, `/mcp/{pkg}` the latest version of one,
// `/mcp/{pkg}/{version}` exactly that version. Names follow the shared rule
// (host/tools/tool-names.ts) and the tool object is the one ExportToolSchemas gives for
// `mcp`, so a tool is the same wherever it is listed. A tool whose input is not an
// object cannot take MCP arguments and is not offered (ExportToolSchemas skips it too).
import type { Tool } from "@modelcontextprotocol/server";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { PackageCatalog, PackageMeta } from "../http/index.ts";
import { objectInputSchema, toMcpTool } from "../tool-schemas/index.ts";
import { assignToolNames, latestOfEach, latestVersion, MCP_NAME_RULE, type PluginMeta, type ToolMeta, type ToolTarget } from "../tools/index.ts";

export type McpScope = { kind: "all" } | { kind: "package"; pkg: string; version: string | undefined };

export interface McpTool {
  /** The name the client calls it by. */
  name: string;
  target: ToolTarget;
  plugin: PluginMeta;
  meta: ToolMeta;
  inputSchema: Record<string, unknown>;
}

/** The package metas a scope covers; an unknown package (or version) is `PackageNotFound`. */
async function packagesIn(catalog: Pick<PackageCatalog, "get" | "list">, scope: McpScope): Promise<PackageMeta[]> {
  if (scope.kind === "all") return latestOfEach(await catalog.list());
  if (scope.version !== undefined) {
    const installed = await catalog.get(scope.pkg, scope.version);
    if (installed === null) throw new RuntimeError("PackageNotFound", `package ${scope.pkg}@${scope.version} is not installed`);
    return [installed.meta];
  }
  const latest = await latestVersion(catalog, scope.pkg);
  if (latest === null) throw new RuntimeError("PackageNotFound", `package ${scope.pkg} is not installed`);
  return [latest];
}

export async function toolsInScope(catalog: Pick<PackageCatalog, "get" | "list">, scope: McpScope): Promise<McpTool[]> {
  const entries: Omit<McpTool, "name">[] = [];
  for (const pkg of await packagesIn(catalog, scope)) {
    for (const plugin of pkg.plugins) {
      for (const [tool, meta] of Object.entries(plugin.tools)) {
        const inputSchema = objectInputSchema(meta);
        if (inputSchema !== null) entries.push({ target: { pkg: pkg.name, version: pkg.version, plugin: plugin.name, tool }, plugin, meta, inputSchema });
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
