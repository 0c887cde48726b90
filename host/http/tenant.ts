// The one place a request's tenant is decided: the bearer token's tenant when `auth`
// is configured, `default` on an open server. The auth middleware records who the
// request acts as; everything downstream asks here. Asking for a request the
// middleware never saw is a bug, and fails rather than running as some tenant.
import type { Context } from "hono";
import type { Principal } from "../auth/index.ts";
import { RuntimeError } from "../../sandbox/errors.ts";

export const DEFAULT_TENANT = "default";

/** Who every request acts as on a server without `auth` (loopback by default). */
export const OPEN_PRINCIPAL: Principal = Object.freeze({ tenant: DEFAULT_TENANT, role: "admin" });

// Keyed by the request's context: it lives exactly as long as the request.
const principals = new WeakMap<Context, Principal>();

export function setPrincipal(c: Context, principal: Principal): void {
  principals.set(c, principal);
}

/** Who the request acts as, if it was authenticated (or the server is open). */
export function principalOf(c: Context): Principal | undefined {
  return principals.get(c);
}

export function tenantOf(c: Context): string {
  const principal = principals.get(c);
  if (principal === undefined) throw new RuntimeError("Internal", "request reached a tenant-scoped operation without authentication");
  return principal.tenant;
}
