// The one place a request's tenant is decided. Until `auth` is implemented every
// call runs for the default tenant; with auth, the bearer token's tenant goes here.
import type { Context } from "hono";

export const DEFAULT_TENANT = "default";

export function tenantOf(_c: Context): string {
  return DEFAULT_TENANT;
}
