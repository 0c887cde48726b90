// The one path a tool call takes through the host, whatever door it came in by (/v1
// JSON or SSE, the adapter route, MCP): resolve the target against the installed
// metadata, settle the call's cfg (the caller's, else the tenant's stored one), read a
// strict-mode `null` for an optional property as absent, run it in the sandbox, and
// hand back the result or the stream with its receipt. Transports only translate requests and answers; every
// rule about a call (which version serves it, whose config it uses, whether it is
// admitted, what it is charged) is a step here, so no door can skip one.
import { RuntimeError } from "../../sandbox/errors.ts";
import type { CallUsage, Sandbox, ToolCall, ToolStream, ValidateCall } from "../../sandbox/index.ts";
import type { PackageCatalog } from "../http/index.ts";
import type { StoredConfigResolver } from "../plugin-configs/index.ts";
import { dropOptionalNulls } from "./optional-nulls.ts";
import { resolvePlugin, resolveTool, type PluginMeta, type PluginTarget, type ToolMeta, type ToolTarget } from "./tool-target.ts";

export interface ToolRunnerDeps {
  packages: Pick<PackageCatalog, "get">;
  sandbox: Pick<Sandbox, "runTool" | "streamTool" | "validate">;
  /** The tenants' stored plugin configs, used by a call that brings no `cfg`. */
  configs: StoredConfigResolver;
}

interface CallContext {
  /** Who the call acts as: isolates, caps and usage are scoped by it. */
  tenant: string;
  /** The caller's cfg as given; `null` when none was (the tenant's stored config is used then). */
  cfg: unknown;
  /** The request's id: a label for logs only, never the sandbox call's identity. */
  requestId: string;
  /** Fires when the caller goes away; the tool stops with it. */
  signal: AbortSignal;
}

export interface ToolCallRequest extends CallContext {
  target: ToolTarget;
  /** JSON text of the tool's input: validated in the isolate, parsed here only to drop a strict-mode `null` (see optional-nulls.ts). */
  inputJson: string;
  /** A streaming answer is wanted (and the tool streams). */
  stream: boolean;
}

export interface ValidateRequest extends CallContext {
  target: PluginTarget;
}

/** What served the call: the version actually run and the tool's metadata. */
export interface ToolCallServed {
  target: ToolTarget;
  plugin: PluginMeta;
  tool: ToolMeta;
}

export type ToolCallOutcome =
  | (ToolCallServed & { kind: "result"; json: string; usage: CallUsage })
  | (ToolCallServed & { kind: "stream"; stream: ToolStream });

/** The sandbox marks a validate refused by the config schema (rather than by `validate`) with `stage: "schema"`. */
function isSchemaFailure(err: unknown): err is RuntimeError {
  return err instanceof RuntimeError && err.code === "PluginInvalidConfig" && typeof err.data === "object" && err.data !== null && (err.data as { stage?: unknown }).stage === "schema";
}

export class ToolRunner {
  constructor(private readonly deps: ToolRunnerDeps) {}

  /**
   * Runs one tool call. A failure rejects with the sandbox's RuntimeError, carrying the
   * call's receipt when the call had started (see `usageOfError`).
   */
  async call(req: ToolCallRequest): Promise<ToolCallOutcome> {
    const target = req.target;
    const { dir, plugin, tool } = await resolveTool(this.deps.packages, target);
    const call: ToolCall = {
      tenant: req.tenant,
      ...target,
      dir,
      inputJson: dropOptionalNulls(req.inputJson, tool.input_schema),
      cfgJson: await this.cfgJsonOf(req, target),
      requestId: req.requestId,
      signal: req.signal,
    };
    const served = { target, plugin, tool };
    if (req.stream && tool.stream) return { ...served, kind: "stream", stream: this.deps.sandbox.streamTool(call) };
    const result = await this.deps.sandbox.runTool(call);
    return { ...served, kind: "result", json: result.json, usage: result.usage };
  }

  /**
   * Resolves when the plugin accepts cfg; rejects with `PluginInvalidConfig` (HiAgent's
   * RunPluginValidate answer for any unusable cfg), or with `schemaFailure: "InvalidConfig"`
   * a cfg the config schema refuses is `InvalidConfig` and only one the plugin's
   * `validate` rejects is `PluginInvalidConfig`.
   */
  async validate(req: ValidateRequest, options: { schemaFailure?: "InvalidConfig" | "PluginInvalidConfig" } = {}): Promise<void> {
    const { dir } = await resolvePlugin(this.deps.packages, req.target.pkg, req.target.version, req.target.plugin);
    const call: ValidateCall = {
      tenant: req.tenant,
      pkg: req.target.pkg,
      version: req.target.version,
      dir,
      plugin: req.target.plugin,
      cfgJson: await this.cfgJsonOf(req, req.target),
      requestId: req.requestId,
      signal: req.signal,
    };
    await this.deps.sandbox.validate(call).catch((err: unknown) => {
      if (options.schemaFailure === "InvalidConfig" && isSchemaFailure(err)) {
        throw new RuntimeError("InvalidConfig", err.message, { data: err.data, cause: err });
      }
      throw err;
    });
  }

  /**
   * The cfg the call runs with: the caller's when given, else the tenant's stored config
   * of this plugin (whichever version it was set against: the version called checks it
   * with its own schema), else null.
   */
  private async cfgJsonOf(req: CallContext, target: PluginTarget): Promise<string> {
    if (req.cfg !== null && req.cfg !== undefined) return JSON.stringify(req.cfg);
    const stored = await this.deps.configs.resolve(req.tenant, target.pkg, target.plugin);
    return JSON.stringify(stored);
  }
}
