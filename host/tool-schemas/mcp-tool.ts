// A tool as MCP lists it (`tools/list`): name, description, an object-rooted
// inputSchema and, when the tool declares its output, an object-rooted outputSchema (a
// non-object output is wrapped as `{result}`, as the MCP transport answers it).
import type { PluginMeta, ToolMeta } from "../tools/index.ts";

type JsonSchema = Record<string, unknown>;

export interface McpTool {
  name: string;
  title?: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  annotations?: Record<string, unknown>;
}

function asSchema(value: unknown): JsonSchema | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonSchema) : null;
}

/** Without `$schema` (the APIs take the dialect as given); null when nothing is declared. */
export function declaredSchema(value: unknown): JsonSchema | null {
  const schema = asSchema(value);
  if (schema === null) return null;
  const { $schema: _dialect, ...rest } = schema;
  return Object.keys(rest).length === 0 ? null : rest;
}

export function isObjectRooted(schema: JsonSchema): boolean {
  return schema.type === "object";
}

/** The input schema as every API wants it: an object at the root (an undeclared input is an empty object). */
export function objectInputSchema(tool: ToolMeta): JsonSchema | null {
  const schema = declaredSchema(tool.input_schema);
  if (schema === null) return { type: "object", properties: {} };
  return isObjectRooted(schema) ? schema : null;
}

/** The output as MCP's structuredContent carries it: the object itself, or `{result}` around anything else. */
export function objectOutputSchema(tool: ToolMeta): JsonSchema | null {
  // A streaming tool's schema describes one chunk, not the whole output.
  if (tool.stream) return null;
  const schema = declaredSchema(tool.output_schema);
  if (schema === null) return null;
  if (isObjectRooted(schema)) return schema;
  return { type: "object", properties: { result: schema }, required: ["result"], additionalProperties: false };
}

export function toMcpTool(name: string, plugin: PluginMeta, tool: ToolMeta, inputSchema: JsonSchema): McpTool {
  const output = objectOutputSchema(tool);
  const title = tool.title ?? tool.labels.title ?? tool.labels.name_en;
  return {
    name,
    ...(title === undefined ? {} : { title }),
    description: tool.description || `${plugin.name}: ${tool.name}`,
    inputSchema,
    ...(output === null ? {} : { outputSchema: output }),
    ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
  };
}
