// Tool calls, whatever transport they arrive by: the shared runner, target lookups and
// the names tools go by outside /v1.
export { CALL_FAILURE_CODES } from "./call-failures.ts";
export { ToolRunner } from "./tool-runner.ts";
export type { RequestedPlugin, RequestedTool, ToolCallOutcome, ToolCallRequest, ToolCallServed, ToolRunnerDeps, ValidateRequest } from "./tool-runner.ts";
export { servedOfError, type ServedLabel } from "./served-version.ts";
export { latestOfEach, latestVersion, resolvePlugin, resolveTool } from "./tool-target.ts";
export type { PluginMeta, PluginTarget, ResolvedPlugin, ResolvedTool, ToolMeta, ToolTarget } from "./tool-target.ts";
export { FUNCTION_NAME_RULE, MCP_NAME_RULE, assignToolNames, toolByName, type NameRule, type NameScope, type ToolId } from "./tool-names.ts";
