// Tool calls, whatever transport they arrive by: the shared runner and target lookups.
export { ToolRunner } from "./tool-runner.ts";
export type { RequestedPlugin, RequestedTool, ToolCallOutcome, ToolCallRequest, ToolCallServed, ToolRunnerDeps, ValidateRequest } from "./tool-runner.ts";
export { servedOfError, type ServedLabel } from "./served-version.ts";
export { resolvePlugin, resolveTool } from "./tool-target.ts";
export type { PluginMeta, PluginTarget, ResolvedPlugin, ResolvedTool, ToolMeta, ToolTarget } from "./tool-target.ts";
