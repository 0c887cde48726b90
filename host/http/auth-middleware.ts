// Bearer-token authentication and role checks for everything under /v1 (SPEC §5, §7).
// Without `auth` every request acts as the default tenant with full rights (the server
// then binds to loopback unless told otherwise). With it, a request needs
// `Authorization: Bearer <token>`: a missing or unknown token is `Unauthorized`, a role
// that may not call the operation is `Forbidden`. Both are decided before the body is
// read. `GET /v1/health` stays public for load balancers, but answers an anonymous
// caller with the states only, never the details (pids, restarts, backends).
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { roleAllows, TokenRegistry, type AuthOptions } from "../auth/index.ts";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { AppEnv } from "./app-env.ts";
import type { ApiContext } from "./operation.ts";
import { OPEN_PRINCIPAL, setPrincipal } from "./tenant.ts";

const HEALTH_PATH = "/v1/health";
const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const CHALLENGE = 'Bearer realm="hiagent-plugin-runtime"';

/**
 * The operation the request is routed to (as its OpenAPI operationId), from the route
 * Hono actually matched, so no spelling of the path can reach an operation unchecked.
 * Undefined when no operation matches: the 404/405 answer needs no role.
 */
function operationOf(c: ApiContext): string | undefined {
  const route = matchedRoutes(c)
    .filter((r) => r.method !== "ALL" && r.path.startsWith("/v1/"))
    .at(-1);
  if (route === undefined) return undefined;
  return route.path === HEALTH_PATH ? "Health" : route.path.slice("/v1/".length);
}

export function authMiddleware(auth: AuthOptions | undefined): MiddlewareHandler<AppEnv> {
  if (auth === undefined) {
    return async (c, next) => {
      setPrincipal(c, OPEN_PRINCIPAL);
      await next();
    };
  }
  const registry = new TokenRegistry(auth);
  return async (c, next) => {
    const operation = operationOf(c);
    const header = c.req.header("authorization");
    if (header === undefined && operation === "Health") {
      await next();
      await withoutDetails(c);
      return;
    }
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    const principal = token === undefined ? null : registry.authenticate(token);
    if (principal === null) {
      c.header("WWW-Authenticate", CHALLENGE);
      throw new RuntimeError(
        "Unauthorized",
        header === undefined ? "a bearer token is required: send Authorization: Bearer <token>" : "the bearer token is malformed or unknown",
      );
    }
    if (operation !== undefined && !roleAllows(principal.role, operation)) {
      throw new RuntimeError("Forbidden", `a token with role ${principal.role} may not call ${operation}`);
    }
    setPrincipal(c, principal);
    await next();
  };
}

interface HealthBody {
  data?: { status?: unknown; components?: Record<string, { state?: unknown }> } | null;
}

/** Cuts a health answer down to the overall state and each component's state. */
async function withoutDetails(c: ApiContext): Promise<void> {
  if (c.res.status !== 200) return;
  const body = (await c.res.clone().json()) as HealthBody;
  const components = Object.fromEntries(Object.entries(body.data?.components ?? {}).map(([name, h]) => [name, { state: h.state }]));
  const summary = JSON.stringify({ data: { status: body.data?.status, components }, error: null });
  c.res = new Response(summary, { status: 200, headers: { "content-type": "application/json; charset=utf-8" } });
  c.res.headers.delete("content-length");
}
