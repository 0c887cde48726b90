// The sandbox's public surface for the host.
import type { SandboxOptions } from "./options.ts";
import { SandboxProcessPool, type SandboxLogger } from "./process-pool.ts";
import type { Sandbox } from "./sandbox-api.ts";

export { MIN_NODE_MAJOR, unsupportedNodeMessage } from "./engine.ts";
export { ERROR_CODES, RuntimeError, isErrorCode } from "./errors.ts";
export type { ErrorBody, ErrorCode } from "./errors.ts";
export { FetchOptionsSchema, SandboxOptionsSchema } from "./options.ts";
export type { FetchOptions, SandboxOptions } from "./options.ts";
export { INSTALLED_FILES, type ArtifactDigests } from "./sandbox-api.ts";
export type {
  BundleSource,
  CallUsage,
  EgressListener,
  EgressReport,
  InspectResult,
  IsolateTarget,
  PackageTarget,
  PluginLogSink,
  PluginMeta,
  Sandbox,
  SandboxEngine,
  SandboxHealth,
  ToolCall,
  ToolResult,
  ToolStream,
  ValidateCall,
} from "./sandbox-api.ts";
export { SandboxProcessPool } from "./process-pool.ts";
export type { SandboxLogger } from "./process-pool.ts";

export function createSandbox(options: SandboxOptions, logger?: SandboxLogger): SandboxProcessPool & Sandbox {
  return new SandboxProcessPool(options, logger);
}
