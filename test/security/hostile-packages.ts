// Plugin packages for the attack suite, zipped the way an author's `pack` would: a
// package.json and a TypeScript entry importing hiagent-plugin-sdk. Each hostile tool
// is ordinary plugin code; nothing here is a special hook into the runtime.
import { zipFiles } from "../host/package/zip-fixtures.ts";

export interface PluginPackageSpec {
  name: string;
  version?: string;
  /** The plugin's tools: the body of `tools: { … }`. */
  tools: string;
  /** Code at the top of the entry module, after the imports. */
  top?: string;
  /** `hiagent.permissions.fetch`. */
  fetch?: string[];
  /** Further files, package-relative. */
  files?: Record<string, string>;
}

export const PLUGIN = "Hostile";

export function manifestOf(spec: { name: string; version?: string; fetch?: string[] }, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    name: spec.name,
    version: spec.version ?? "1.0.0",
    type: "module",
    hiagent: { entry: "src/index.ts", permissions: { fetch: spec.fetch ?? [] } },
    dependencies: { "hiagent-plugin-sdk": "*" },
    ...extra,
  });
}

export function entrySource(spec: PluginPackageSpec): string {
  return `import { definePlugin, defineTool, PluginError, z } from "hiagent-plugin-sdk";
${spec.top ?? ""}
export default definePlugin({ name: "${PLUGIN}", tools: { ${spec.tools} } });
`;
}

export function pluginZip(spec: PluginPackageSpec): Promise<Buffer> {
  return zipFiles({ "package.json": manifestOf(spec), "src/index.ts": entrySource(spec), ...spec.files });
}

export function zipName(spec: { name: string; version?: string }): string {
  return `${spec.name}-${spec.version ?? "1.0.0"}.zip`;
}
