// What each token role may do (SPEC §5, §7 auth). `admin` runs the deployment: installs,
// deletes, job control, and everything `invoke` may do. `invoke` is a tenant's calling
// credential: it runs tools and validates configs, and sees which packages are installed.
//
// ReadPackageMetadata is admin-only although it installs nothing: it downloads from any
// install source and evaluates the package's code at inspect time, outside the tenant's
// call caps, so it costs what an install costs.

export const ROLES = ["admin", "invoke"] as const;

export type Role = (typeof ROLES)[number];

/** Operations (as named in the OpenAPI document) an `invoke` token may call. */
const INVOKE_OPERATIONS: ReadonlySet<string> = new Set([
  "RunPluginTool",
  "RunPluginValidate",
  "RunPluginToolAdapterRuntime",
  "ListPackages",
  "Health",
]);

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` may call `operation`; anything not listed for `invoke` is admin-only. */
export function roleAllows(role: Role, operation: string): boolean {
  return role === "admin" || INVOKE_OPERATIONS.has(operation);
}
