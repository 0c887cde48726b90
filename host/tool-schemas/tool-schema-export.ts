// ExportToolSchemas: every installed tool (or one package's) in the tool format of a
// model API, named by the shared naming rule, ready to hand to that API: OpenAI
// function tools, Anthropic tools, or MCP tool objects. With `strict`, each input
// schema is rewritten into the API's strict subset and the report says, per tool,
// what was dropped, made nullable or closed; a schema strict mode cannot express is
// exported without strict, and the report says why.
import type { PackageMeta } from "../http/index.ts";
import { assignToolNames, FUNCTION_NAME_RULE, MCP_NAME_RULE, type NameScope, type PluginMeta, type ToolMeta } from "../tools/index.ts";
import { objectInputSchema, toMcpTool } from "./mcp-tool.ts";
import { StrictSchemaError, toStrictSchema, type SchemaChange } from "./strict-schema.ts";

export type ExportFormat = "openai" | "anthropic" | "mcp";

export interface ExportOptions {
  format: ExportFormat;
  strict: boolean;
  /** `package` when one package is exported (names as `/mcp/{pkg}` gives them), else `deployment`. */
  scope: NameScope;
}

export interface ToolReport {
  name: string;
  pkg: string;
  version: string;
  plugin: string;
  tool: string;
  /** Whether this tool's schema is in the strict subset (and marked so). */
  strict: boolean;
  changes: SchemaChange[];
  /** Why a tool asked for strict is exported without it. */
  note?: string;
}

export interface SkippedTool {
  pkg: string;
  version: string;
  plugin: string;
  tool: string;
  reason: string;
}

export interface ExportedToolSchemas {
  format: ExportFormat;
  strict: boolean;
  tools: Record<string, unknown>[];
  report: ToolReport[];
  skipped: SkippedTool[];
}

interface Entry {
  pkg: string;
  version: string;
  plugin: PluginMeta;
  tool: ToolMeta;
  input: Record<string, unknown>;
}

function shaped(format: ExportFormat, name: string, entry: Entry, parameters: Record<string, unknown>, strict: boolean): Record<string, unknown> {
  const description = entry.tool.description || `${entry.plugin.name}: ${entry.tool.name}`;
  switch (format) {
    case "openai":
      return { type: "function", name, description, parameters, strict };
    case "anthropic":
      return { name, description, input_schema: parameters, ...(strict ? { strict: true } : {}) };
    case "mcp":
      return { ...toMcpTool(name, entry.plugin, entry.tool, parameters) };
  }
}

export function exportToolSchemas(packages: readonly PackageMeta[], options: ExportOptions): ExportedToolSchemas {
  const entries: Entry[] = [];
  const skipped: SkippedTool[] = [];
  for (const pkg of packages) {
    for (const plugin of pkg.plugins) {
      for (const tool of Object.values(plugin.tools)) {
        const input = objectInputSchema(tool);
        if (input === null) {
          skipped.push({ pkg: pkg.name, version: pkg.version, plugin: plugin.name, tool: tool.name, reason: "its input is not an object, which no tool API can take as arguments" });
        } else entries.push({ pkg: pkg.name, version: pkg.version, plugin, tool, input });
      }
    }
  }
  const rule = options.format === "mcp" ? MCP_NAME_RULE : FUNCTION_NAME_RULE;
  const names = assignToolNames(entries.map((e) => ({ pkg: e.pkg, plugin: e.plugin.name, tool: e.tool.name })), options.scope, rule);
  const wantStrict = options.strict && options.format !== "mcp";
  const tools: Record<string, unknown>[] = [];
  const report: ToolReport[] = [];
  entries.forEach((entry, i) => {
    const name = names[i] ?? entry.tool.name;
    const base = { name, pkg: entry.pkg, version: entry.version, plugin: entry.plugin.name, tool: entry.tool.name };
    let parameters = entry.input;
    let strict = false;
    let changes: SchemaChange[] = [];
    let note: string | undefined;
    if (wantStrict) {
      try {
        const result = toStrictSchema(entry.input, options.format === "openai" ? "openai" : "anthropic");
        parameters = result.schema;
        changes = result.changes;
        strict = true;
      } catch (err) {
        if (!(err instanceof StrictSchemaError)) throw err;
        note = `exported without strict: ${err.message}`;
      }
    }
    tools.push(shaped(options.format, name, entry, parameters, strict));
    report.push({ ...base, strict, changes, ...(note === undefined ? {} : { note }) });
  });
  return { format: options.format, strict: wantStrict, tools, report, skipped };
}
