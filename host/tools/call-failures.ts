// The codes a tool call fails with once its target resolved: its input, its config, its
// tenant's limits or the plugin itself. Each transport answers them as the call's own
// outcome (/v1 as documented errors, MCP as `isError` results), never as its own failure.
export const CALL_FAILURE_CODES = [
  "InvalidInput",
  "InvalidConfig",
  "RateLimited",
  "QuotaExceeded",
  "ToolError",
  "ToolMemoryLimit",
  "ToolTimeout",
  "FetchDenied",
] as const;
