// One MCP server instance per request (the endpoints are stateless): the low-level SDK
// Server with tools/list and tools/call over our installed tools, and logging. A call
// runs through the shared ToolRunner, like RunPluginTool: same target lookup, cfg,
// tenant admission, limits and receipt. A streaming tool's chunks go out as
// notifications/progress (when the client sent a progress token); the plugin's ctx.log
// lines go out as notifications/message at or above the level the client set.
import { LOG_LEVEL_META_KEY, ProtocolError, ProtocolErrorCode, Server, type LoggingLevel, type ServerContext } from "@modelcontextprotocol/server";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { CallUsage, PluginLogSink } from "../../sandbox/index.ts";
import type { PackageCatalog } from "../http/index.ts";
import type { ToolRunner } from "../tools/index.ts";
import { listingOf, toolsInScope, type McpScope, type McpTool, type VersionResolver } from "./mcp-tools.ts";
import { collected, failureResult, isToolFailure, successResult, type ToolCallResult } from "./tool-results.ts";

export interface McpServerDeps {
  packages: Pick<PackageCatalog, "get" | "list">;
  tools: Pick<ToolRunner, "call">;
  /** Which version a scope's version, channel or nothing serves the tenant. */
  channels: VersionResolver;
  version: string;
}

/** What one HTTP request brings to its server instance. */
export interface McpCallContext {
  tenant: string;
  scope: McpScope;
  /** The `cfg` header's config, `null` when none was sent. */
  cfg: unknown;
  requestId: string;
  /** Fires when the client goes away: the running tool stops with it. */
  signal: AbortSignal;
  /** Told each call's receipt, for the access log. */
  onUsage(usage: CallUsage): void;
}

const LOG_LEVELS: Record<Parameters<PluginLogSink>[0], LoggingLevel> = { debug: "debug", info: "info", warn: "warning", error: "error" };
const SEVERITY: readonly LoggingLevel[] = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"];

/**
 * The level a request asks for in its own `_meta` (the 2026-07-28 envelope key, honoured
 * on the 2025 revisions too): a stateless endpoint cannot remember `logging/setLevel`
 * from one request to the next, so a 2025 client that sends none gets every line.
 */
function requestedLevel(ctx: ServerContext): LoggingLevel | undefined {
  // The SDK lifts reserved `io.modelcontextprotocol/*` keys out of `_meta` into the envelope.
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const level = envelope?.[LOG_LEVEL_META_KEY] ?? (ctx.mcpReq._meta as Record<string, unknown> | undefined)?.[LOG_LEVEL_META_KEY];
  return SEVERITY.includes(level as LoggingLevel) ? (level as LoggingLevel) : undefined;
}

function notFound(name: string, tools: McpTool[]): ProtocolError {
  const known = tools.map((t) => t.name).slice(0, 50).join(", ");
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name} (this endpoint has: ${known || "none"})`);
}

/** The 2025-era revisions the stateless legacy path negotiates (2026-07-28 is the modern path's). */
const LEGACY_VERSIONS = ["2025-11-25", "2025-06-18"];

export function createMcpServer(deps: McpServerDeps, rc: McpCallContext, era: "legacy" | "modern"): Server {
  const scopeName = rc.scope.kind === "all" ? "hiagent-plugin-runtime" : `hiagent-plugin-runtime/${rc.scope.pkg}`;
  const server = new Server(
    { name: scopeName, version: deps.version },
    { capabilities: { tools: { listChanged: false }, logging: {} }, ...(era === "legacy" ? { supportedProtocolVersions: LEGACY_VERSIONS } : {}) },
  );

  server.setRequestHandler("tools/list", async () => ({ tools: (await toolsInScope(deps.packages, deps.channels, rc.tenant, rc.scope)).map(listingOf) }));

  server.setRequestHandler("tools/call", async (request, ctx) => {
    const tools = await toolsInScope(deps.packages, deps.channels, rc.tenant, rc.scope);
    const name = request.params.name;
    const tool = tools.find((t) => t.name === name);
    if (tool === undefined) throw notFound(name, tools);
    return (await callTool(deps, rc, tool, request.params.arguments ?? {}, ctx)) as never;
  });
  return server;
}

async function callTool(deps: McpServerDeps, rc: McpCallContext, tool: McpTool, args: Record<string, unknown>, ctx: ServerContext): Promise<ToolCallResult> {
  const signal = AbortSignal.any([rc.signal, ctx.mcpReq.signal]);
  const threshold = requestedLevel(ctx);
  const onLog: PluginLogSink = (level, msg) => {
    const mcpLevel = LOG_LEVELS[level];
    if (threshold !== undefined && SEVERITY.indexOf(mcpLevel) < SEVERITY.indexOf(threshold)) return;
    ctx.mcpReq.log(mcpLevel, msg, `${tool.target.plugin}.${tool.target.tool}`).catch(() => undefined);
  };
  const progressToken = ctx.mcpReq._meta?.progressToken;
  try {
    const outcome = await deps.tools.call({
      tenant: rc.tenant,
      target: tool.call,
      inputJson: JSON.stringify(args),
      cfg: rc.cfg,
      requestId: rc.requestId,
      signal,
      stream: tool.meta.stream,
      onLog,
    });
    if (outcome.kind === "result") {
      rc.onUsage(outcome.usage);
      return successResult(JSON.parse(outcome.json) as unknown, tool.meta, outcome.usage);
    }
    const stream = outcome.stream;
    const onAbort = (): void => stream.cancel();
    signal.addEventListener("abort", onAbort, { once: true });
    const chunks: unknown[] = [];
    try {
      for await (const json of stream) {
        const chunk = JSON.parse(json) as unknown;
        chunks.push(chunk);
        if (progressToken !== undefined) {
          const message = typeof chunk === "string" ? chunk : json;
          await ctx.mcpReq.notify({ method: "notifications/progress", params: { progressToken, progress: chunks.length, message } });
        }
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    if (signal.aborted) throw new RuntimeError("ToolError", "the call was canceled by the client");
    const usage = await stream.usage;
    rc.onUsage(usage);
    return successResult(collected(chunks), tool.meta, usage);
  } catch (err) {
    const error = RuntimeError.from(err);
    const usage = (err as { usage?: CallUsage } | null)?.usage;
    if (usage !== undefined) rc.onUsage(usage);
    if (isToolFailure(error)) return failureResult(error, usage);
    if (error.code === "PackageNotFound" || error.code === "PluginNotFound" || error.code === "ToolNotFound") {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, error.message, { code: error.code });
    }
    throw new ProtocolError(ProtocolErrorCode.InternalError, error.code === "Internal" ? "internal error" : error.message, { code: error.code });
  }
}
