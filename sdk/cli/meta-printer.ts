// How `build` shows what it found: each plugin, its config, and each tool with its
// input schema (compact JSON, `$schema` left out as noise).
import type { PackageMeta } from "../../host/package/index.ts";

function compact(schema: unknown): string {
  if (schema && typeof schema === "object" && !Array.isArray(schema)) {
    const { $schema: _ignored, ...rest } = schema as Record<string, unknown>;
    return JSON.stringify(rest);
  }
  return JSON.stringify(schema);
}

export function describePackage(meta: PackageMeta): string {
  const lines: string[] = [];
  for (const plugin of meta.plugins) {
    lines.push(`plugin ${plugin.name}${plugin.description ? `: ${plugin.description}` : ""}`);
    if (plugin.config_schema !== null) lines.push(`  config${plugin.config_required ? " (required)" : ""}: ${compact(plugin.config_schema)}`);
    for (const tool of Object.values(plugin.tools)) {
      lines.push(`  tool ${tool.name}${tool.stream ? " [stream]" : ""}${tool.description ? `: ${tool.description}` : ""}`);
      lines.push(`    input: ${compact(tool.input_schema)}`);
      if (tool.output_schema !== null) lines.push(`    output: ${compact(tool.output_schema)}`);
    }
  }
  return lines.join("\n");
}
