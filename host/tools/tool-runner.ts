// The one path a tool call takes through the host, whatever door it came in by (/v1
// JSON or SSE, the adapter route, MCP). Its steps, in order:
//   1. version: the version named, or the one a channel assigns the tenant (`latest`
//      when none is named);
//   2. target: the pkg@version / plugin / tool against the installed metadata (a typo
//      is a 404 and costs no quota);
//   3. admission: the tenant's quotas (QuotaExceeded with the seconds to wait);
//   4. the call in the sandbox, with the call's cfg (the caller's, else the tenant's
//      stored config), a strict-mode `null` for an optional property read as absent;
//   5. accounting: the receipt charged to the tenant's quotas and usage, the outcome
//      counted for the channel's automatic rollback, and both in the node's metrics
//      (a call refused before it ran is counted there too, with its error code).
// Transports only translate requests and answers, so no door can skip a step.
import { RuntimeError } from "../../sandbox/errors.ts";
import type { CallUsage, PluginLogSink, Sandbox, ToolCall, ToolStream, ValidateCall } from "../../sandbox/index.ts";
import type { PackageCatalog } from "../http/index.ts";
import { errorCodeOf, type CallLabels, type RuntimeMetrics } from "../metrics/index.ts";
import { usageOfError } from "../http/usage-header.ts";
import type { StoredConfigResolver } from "../plugin-configs/index.ts";
import { isPluginFailure, type ServedVersion, type TenantMeter, type VersionChannels } from "../tenancy/index.ts";
import { dropOptionalNulls } from "./optional-nulls.ts";
import { attachServed } from "./served-version.ts";
import { resolvePlugin, resolveTool, type PluginMeta, type PluginTarget, type ToolMeta, type ToolTarget } from "./tool-target.ts";

export interface ToolRunnerDeps {
  packages: Pick<PackageCatalog, "get">;
  sandbox: Pick<Sandbox, "runTool" | "streamTool" | "validate">;
  /** The tenants' stored plugin configs, used by a call that brings no `cfg`. */
  configs: StoredConfigResolver;
  channels: VersionChannels;
  meter: TenantMeter;
  /** Counts every call's outcome and receipt, when the node keeps metrics. */
  metrics?: RuntimeMetrics | undefined;
}

interface CallContext {
  /** Who the call acts as: isolates, caps, quotas and usage are scoped by it. */
  tenant: string;
  /** The caller's cfg as given; `null` when none was (the tenant's stored config is used then). */
  cfg: unknown;
  /** The request's id: a label for logs only, never the sandbox call's identity. */
  requestId: string;
  /** Fires when the caller goes away; the tool stops with it. */
  signal: AbortSignal;
}

/** A call's target as the caller named it: `version` is a version, a channel name, or absent (`latest`). */
export interface RequestedPlugin {
  pkg: string;
  version?: string | undefined;
  plugin: string;
}

export interface RequestedTool extends RequestedPlugin {
  tool: string;
}

export interface ToolCallRequest extends CallContext {
  target: RequestedTool;
  /** JSON text of the tool's input: validated in the isolate, parsed here only to drop a strict-mode `null` (see optional-nulls.ts). */
  inputJson: string;
  /** A streaming answer is wanted (and the tool streams). */
  stream: boolean;
  /** Also receives the plugin's `ctx.log` lines of this call (they reach the host log regardless). */
  onLog?: PluginLogSink;
}

export interface ValidateRequest extends CallContext {
  target: RequestedPlugin;
}

/** What served the call: the version actually run (and its channel) and the tool's metadata. */
export interface ToolCallServed {
  target: ToolTarget;
  channel: string | null;
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

/** Whether the plugin's config schema has any field a stored config could fill. */
function takesConfig(plugin: PluginMeta): boolean {
  if (plugin.config_required) return true;
  const schema = plugin.config_schema;
  if (typeof schema !== "object" || schema === null) return false;
  const properties = (schema as { properties?: unknown }).properties;
  return typeof properties === "object" && properties !== null && Object.keys(properties).length > 0;
}

export class ToolRunner {
  constructor(private readonly deps: ToolRunnerDeps) {}

  /**
   * Runs one tool call. A failure rejects with a RuntimeError carrying the call's receipt
   * when the call had started (`usageOfError`) and the version that served it once one
   * was chosen (`servedOfError`).
   */
  async call(req: ToolCallRequest): Promise<ToolCallOutcome> {
    const { channels, meter, metrics } = this.deps;
    // The target joins the labels only once it resolved against what is installed.
    const labels: CallLabels = { tenant: req.tenant };
    let counted = false;
    const count = (usage: CallUsage | undefined, err: unknown): void => {
      if (counted) return;
      counted = true;
      metrics?.toolCall(labels, err === undefined ? undefined : errorCodeOf(err), usage);
    };
    const served = await channels.resolve(req.tenant, req.target.pkg, req.target.version).catch((err: unknown) => {
      count(undefined, err);
      throw err;
    });
    const target: ToolTarget = { ...req.target, version: served.version };
    try {
      const { dir, artifacts, plugin, tool } = await resolveTool(this.deps.packages, target);
      Object.assign(labels, { pkg: target.pkg, version: target.version, plugin: target.plugin, tool: target.tool });
      const cfgJson = await this.cfgJsonOf(req, target, plugin);
      const ticket = await meter.admit(req.tenant);
      const call: ToolCall = {
        tenant: req.tenant,
        ...target,
        dir,
        artifacts,
        inputJson: dropOptionalNulls(req.inputJson, tool.input_schema),
        cfgJson,
        requestId: req.requestId,
        signal: req.signal,
        ...(req.onLog === undefined ? {} : { onLog: req.onLog }),
      };
      const info = { target, channel: served.channel, plugin, tool };
      const endInFlight = metrics?.callStarted();
      const finish = (usage: CallUsage | undefined, err: unknown): void => {
        endInFlight?.();
        count(usage, err);
        void meter.settle(ticket, target, usage);
        void channels.observe(served, err !== undefined && isPluginFailure(err)).catch(() => undefined);
      };
      if (req.stream && tool.stream) return { ...info, kind: "stream", stream: meteredStream(this.deps.sandbox.streamTool(call), finish) };
      const result = await this.deps.sandbox.runTool(call).catch((err: unknown) => {
        finish(usageOfError(err), err);
        throw err;
      });
      finish(result.usage, undefined);
      return { ...info, kind: "result", json: result.json, usage: result.usage };
    } catch (err) {
      count(undefined, err);
      throw attachServed(err, served);
    }
  }

  /**
   * Resolves when the plugin accepts cfg; rejects with `PluginInvalidConfig` (HiAgent's
   * RunPluginValidate answer for any unusable cfg), or with `schemaFailure: "InvalidConfig"`
   * a cfg the config schema refuses is `InvalidConfig` and only one the plugin's
   * `validate` rejects is `PluginInvalidConfig`. A channel name (or none) picks the
   * version as a call would.
   */
  async validate(req: ValidateRequest, options: { schemaFailure?: "InvalidConfig" | "PluginInvalidConfig" } = {}): Promise<void> {
    const served = await this.deps.channels.resolve(req.tenant, req.target.pkg, req.target.version);
    const target: PluginTarget = { ...req.target, version: served.version };
    try {
      const { dir, artifacts, plugin } = await resolvePlugin(this.deps.packages, target.pkg, target.version, target.plugin);
      const call: ValidateCall = {
        tenant: req.tenant,
        pkg: target.pkg,
        version: target.version,
        dir,
        artifacts,
        plugin: target.plugin,
        cfgJson: await this.cfgJsonOf(req, target, plugin),
        requestId: req.requestId,
        signal: req.signal,
      };
      await this.deps.sandbox.validate(call).catch((err: unknown) => {
        if (options.schemaFailure === "InvalidConfig" && isSchemaFailure(err)) {
          throw new RuntimeError("InvalidConfig", err.message, { data: err.data, cause: err });
        }
        throw err;
      });
    } catch (err) {
      throw attachServed(err, served);
    }
  }

  /**
   * The cfg the call runs with: the caller's when given, else the tenant's stored config
   * of this plugin (whichever version it was set against: the version called checks it
   * with its own schema), else null. A plugin that takes no config never asks the store,
   * so its calls keep running while the store (Redis) is away.
   */
  private async cfgJsonOf(req: CallContext, target: PluginTarget, plugin: PluginMeta): Promise<string> {
    if (req.cfg !== null && req.cfg !== undefined) return JSON.stringify(req.cfg);
    if (!takesConfig(plugin)) return "null";
    const stored = await this.deps.configs.resolve(req.tenant, target.pkg, target.plugin);
    return JSON.stringify(stored);
  }
}

/**
 * The stream as the sandbox gives it, reporting its receipt and whether it failed once
 * the consumer is done with it (ended, failed or stopped early).
 */
function meteredStream(stream: ToolStream, finish: (usage: CallUsage | undefined, err: unknown) => void): ToolStream {
  let closed = false;
  const close = (failure: unknown): void => {
    if (closed) return;
    closed = true;
    void stream.usage.then(
      (usage) => finish(usage, failure),
      () => finish(undefined, failure),
    );
  };
  return {
    usage: stream.usage,
    cancel: () => stream.cancel(),
    async *[Symbol.asyncIterator]() {
      let failure: unknown;
      try {
        yield* stream;
      } catch (err) {
        failure = err;
        throw err;
      } finally {
        close(failure);
      }
    },
  };
}

export type { ServedVersion };
