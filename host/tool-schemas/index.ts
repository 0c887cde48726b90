// Tool schemas for the model APIs (ExportToolSchemas) and the MCP tool object.
export { exportToolSchemas, type ExportFormat, type ExportOptions, type ExportedToolSchemas, type SkippedTool, type ToolReport } from "./tool-schema-export.ts";
export { ANTHROPIC_FORMATS, OPENAI_FORMATS, StrictSchemaError, strictKeywordAllowed, toStrictSchema, type SchemaChange, type StrictDialect, type StrictResult } from "./strict-schema.ts";
export { declaredSchema, objectInputSchema, objectOutputSchema, toMcpTool, type McpTool } from "./mcp-tool.ts";
