// Mounts MCP over Streamable HTTP on the Hono app: `POST /mcp` (every installed
// package, latest version of each), `POST /mcp/{pkg}` (its latest version) and
// `POST /mcp/{pkg}/{version}`, plus the RFC 9728 metadata under
// `/.well-known/oauth-protected-resource/mcp…`. Served statelessly by the SDK's
// per-request handler: protocol 2026-07-28 on its modern path, 2025-11-25 and
// 2025-06-18 on its stateless legacy path; no session is kept, so any node answers any
// request. GET and DELETE are 405: a stateless server offers no standalone stream and
// no session to end.
import { createMcpHandler, type AuthInfo } from "@modelcontextprotocol/server";
import type { Context } from "hono";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { CallUsage } from "../../sandbox/index.ts";
import type { AuthOptions } from "../auth/index.ts";
import type { McpConfig } from "../config/index.ts";
import type { AppEnv } from "../http/app-env.ts";
import { parseCfgHeader } from "../http/cfg-header.ts";
import { readJsonBody } from "../http/json-body.ts";
import { bodySource, clientSignal } from "../http/node-request.ts";
import type { ApiApp } from "../http/operation.ts";
import { tenantOf } from "../http/tenant.ts";
import { jsonRpcError } from "./json-rpc-error.ts";
import { mcpGuard, METADATA_PREFIX } from "./mcp-guard.ts";
import { createMcpServer, type McpCallContext, type McpServerDeps } from "./mcp-server.ts";
import { toolsInScope, type McpScope } from "./mcp-tools.ts";

export const MCP_PROTOCOL_VERSIONS = ["2026-07-28", "2025-11-25", "2025-06-18"] as const;
const CONTEXT_KEY = "hiagent";

export interface McpOptions {
  auth: AuthOptions | undefined;
  config: McpConfig;
  maxBodyBytes: number;
}

function scopeOf(c: Context<AppEnv>): McpScope {
  const pkg = c.req.param("pkg");
  return pkg === undefined ? { kind: "all" } : { kind: "package", pkg, version: c.req.param("version") };
}

export function mountMcp(app: ApiApp, deps: McpServerDeps, options: McpOptions): void {
  const handler = createMcpHandler(
    (info) => {
      const rc = info.authInfo?.extra?.[CONTEXT_KEY] as McpCallContext | undefined;
      if (rc === undefined) throw new RuntimeError("Internal", "an MCP request reached the server without its context");
      return createMcpServer(deps, rc, info.era);
    },
    { maxRequestBodySize: options.maxBodyBytes, keepAliveMs: 0 },
  );

  const paths = ["/mcp", "/mcp/:pkg", "/mcp/:pkg/:version"];
  const guard = mcpGuard(options.auth, options.config);
  for (const path of paths) {
    app.use(path, guard);
    app.on(["GET", "DELETE"], path, (c) =>
      jsonRpcError(405, -32000, `method ${c.req.method} is not allowed: this MCP endpoint is stateless; send POST`, undefined, { Allow: "POST" }),
    );
    app.post(path, async (c) => {
      const scope = scopeOf(c);
      let cfg: unknown;
      try {
        cfg = parseCfgHeader(c.req.header("cfg"));
        // An unknown package is the endpoint's own error, answered before any protocol exchange.
        if (scope.kind === "package") await toolsInScope(deps.packages, deps.channels, tenantOf(c), scope);
      } catch (err) {
        const error = RuntimeError.from(err);
        const status = error.code === "PackageNotFound" ? 404 : error.status;
        return jsonRpcError(status, error.code === "PackageNotFound" ? -32002 : -32602, error.message, { code: error.code });
      }
      const rc: McpCallContext = {
        tenant: tenantOf(c),
        scope,
        cfg,
        requestId: c.get("requestId"),
        signal: clientSignal(c),
        onUsage: (usage: CallUsage) => c.set("usage", usage),
      };
      let body: unknown;
      try {
        body = await readJsonBody(bodySource(c), options.maxBodyBytes);
      } catch (err) {
        const error = RuntimeError.from(err);
        if (error.code === "PayloadTooLarge") return jsonRpcError(413, -32600, error.message, { code: error.code });
        return jsonRpcError(400, -32700, `Parse error: ${error.message}`);
      }
      // Every revision served (2025-06-18 on) removed JSON-RPC batching.
      if (Array.isArray(body)) return jsonRpcError(400, -32600, "Invalid Request: batch arrays are not supported by MCP 2025-06-18 and later; send one message per request");
      const authInfo: AuthInfo = { token: "", clientId: rc.tenant, scopes: [], extra: { [CONTEXT_KEY]: rc } };
      return handler.fetch(c.req.raw, { authInfo, parsedBody: body });
    });
    app.all(path, (c) => jsonRpcError(405, -32000, `method ${c.req.method} is not allowed; send POST`, undefined, { Allow: "POST" }));
  }

  app.get(`${METADATA_PREFIX}/mcp`, (c) => protectedResource(c, "/mcp"));
  app.get(`${METADATA_PREFIX}/mcp/*`, (c) => protectedResource(c, c.req.path.slice(METADATA_PREFIX.length)));
}

/** RFC 9728 metadata: tokens are bearer tokens in the header, issued by the operator (`npm run token`). */
function protectedResource(c: Context<AppEnv>, resourcePath: string): Response {
  const origin = new URL(c.req.url).origin;
  return c.json({
    resource: `${origin}${resourcePath}`,
    resource_name: "HiAgent plugin runtime (MCP)",
    bearer_methods_supported: ["header"],
    authorization_servers: [],
    resource_documentation: `${origin}/docs`,
  });
}
