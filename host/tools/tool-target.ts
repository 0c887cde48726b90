// Resolves a call's pkg@version / plugin / tool against the installed metadata
// before the sandbox is asked, so a typo is a clear 404 and never costs an isolate.
import semver from "semver";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { ArtifactDigests } from "../../sandbox/index.ts";
import type { PackageCatalog, PackageMeta } from "../http/index.ts";

export type PluginMeta = PackageMeta["plugins"][number];
export type ToolMeta = PluginMeta["tools"][string];

export interface PluginTarget {
  pkg: string;
  version: string;
  plugin: string;
}

export interface ToolTarget extends PluginTarget {
  tool: string;
}

export interface ResolvedPlugin {
  dir: string;
  artifacts: ArtifactDigests;
  plugin: PluginMeta;
}

export interface ResolvedTool extends ResolvedPlugin {
  tool: ToolMeta;
}

export async function resolvePlugin(catalog: Pick<PackageCatalog, "get">, pkg: string, version: string, plugin: string): Promise<ResolvedPlugin> {
  const installed = await catalog.get(pkg, version);
  if (installed === null) throw new RuntimeError("PackageNotFound", `package ${pkg}@${version} is not installed`);
  const found = installed.meta.plugins.find((p) => p.name === plugin);
  if (found === undefined) {
    const names = installed.meta.plugins.map((p) => p.name).join(", ");
    throw new RuntimeError("PluginNotFound", `package ${pkg}@${version} has no plugin ${JSON.stringify(plugin)} (it has: ${names})`);
  }
  return { dir: installed.dir, artifacts: installed.artifacts, plugin: found };
}

export async function resolveTool(catalog: Pick<PackageCatalog, "get">, target: ToolTarget): Promise<ResolvedTool> {
  const resolved = await resolvePlugin(catalog, target.pkg, target.version, target.plugin);
  const tool = Object.hasOwn(resolved.plugin.tools, target.tool) ? resolved.plugin.tools[target.tool] : undefined;
  if (tool === undefined) {
    const names = Object.keys(resolved.plugin.tools).join(", ");
    throw new RuntimeError("ToolNotFound", `plugin ${target.plugin} has no tool ${JSON.stringify(target.tool)} (it has: ${names})`);
  }
  return { ...resolved, tool };
}

/** The highest installed version of `pkg` (semver order), or null when none is installed. */
export async function latestVersion(catalog: Pick<PackageCatalog, "list">, pkg: string): Promise<PackageMeta | null> {
  return latestOfEach((await catalog.list()).filter((m) => m.name === pkg))[0] ?? null;
}

/** Each installed package once, at its highest version. */
export function latestOfEach(packages: readonly PackageMeta[]): PackageMeta[] {
  const latest = new Map<string, PackageMeta>();
  for (const m of packages) {
    const best = latest.get(m.name);
    if (best === undefined || semver.gt(m.version, best.version)) latest.set(m.name, m);
  }
  return [...latest.values()].sort((a, b) => a.name.localeCompare(b.name));
}
