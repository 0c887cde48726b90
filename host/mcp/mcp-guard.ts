// Who may reach the MCP endpoints. Browser-borne requests first: a foreign `Origin` is
// refused (config `mcp.allowed_origins`; loopback origins too on a server without
// `auth`), and without `auth` a `Host` that is neither a loopback name nor in
// `mcp.allowed_hosts` is refused, so a DNS-rebinding page cannot drive a local runtime.
// Then the bearer token, exactly as /v1 checks it: the same tokens, tenants and roles.
// A missing or unknown token is 401 with a `WWW-Authenticate` challenge that names the
// RFC 9728 protected-resource metadata.
import type { Context, MiddlewareHandler } from "hono";
import { hostHeaderValidationResponse, localhostAllowedHostnames, localhostAllowedOrigins, originValidationResponse } from "@modelcontextprotocol/server";
import { roleAllows, TokenRegistry, type AuthOptions } from "../auth/index.ts";
import type { McpConfig } from "../config/index.ts";
import type { AppEnv } from "../http/app-env.ts";
import { OPEN_PRINCIPAL, setPrincipal } from "../http/tenant.ts";
import { jsonRpcError } from "./json-rpc-error.ts";

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
export const METADATA_PREFIX = "/.well-known/oauth-protected-resource";

/** The protected-resource metadata URL of the MCP resource at `path` (RFC 9728 §3.1). */
export function metadataUrl(c: Context, path: string): string {
  return `${new URL(c.req.url).origin}${METADATA_PREFIX}${path}`;
}

export function mcpGuard(auth: AuthOptions | undefined, config: McpConfig): MiddlewareHandler<AppEnv> {
  const origins = auth === undefined ? [...localhostAllowedOrigins(), ...config.allowed_origins] : [...config.allowed_origins];
  const hosts = [...localhostAllowedHostnames(), ...config.allowed_hosts];
  const registry = auth === undefined ? undefined : new TokenRegistry(auth);
  return async (c, next) => {
    c.set("operation", "MCP");
    const refused = (registry === undefined ? hostHeaderValidationResponse(c.req.raw, hosts) : undefined) ?? originValidationResponse(c.req.raw, origins);
    if (refused !== undefined) return refused;
    if (registry === undefined) {
      setPrincipal(c, OPEN_PRINCIPAL);
      return next();
    }
    const header = c.req.header("authorization");
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    const principal = token === undefined ? null : registry.authenticate(token);
    if (principal === null) {
      const challenge = `Bearer realm="hiagent-plugin-runtime", resource_metadata="${metadataUrl(c, c.req.path)}"`;
      const message = header === undefined ? "a bearer token is required: send Authorization: Bearer <token>" : "the bearer token is malformed or unknown";
      return jsonRpcError(401, -32001, message, { code: "Unauthorized" }, { "WWW-Authenticate": challenge });
    }
    // MCP runs tools: a role may use it when it may call RunPluginTool (admin and invoke can).
    if (!roleAllows(principal.role, "RunPluginTool")) {
      return jsonRpcError(403, -32001, `a token with role ${principal.role} may not call tools`, { code: "Forbidden" });
    }
    setPrincipal(c, principal);
    return next();
  };
}
