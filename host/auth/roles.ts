// What each token role may do (SPEC §5, §7 auth). `admin` runs the deployment: installs,
// deletes, job control, version channels, any tenant's usage, and everything `invoke`
// may do. `invoke` is a tenant's calling credential: it runs tools, validates configs,
// sees which packages are installed and reads a package's metadata before an admin
// installs it, manages its own tenant's stored plugin configs (an admin may name any
// tenant's), exports tool schemas and reads its own tenant's usage.
//
// ReadPackageMetadata installs nothing, but it downloads the source and evaluates the
// package's code as an install does: within the same guards (install sources confined to
// `package.file_roots` and the fetch policy, size cap, download deadline, the sandbox's
// time and memory limits).

export const ROLES = ["admin", "invoke"] as const;

export type Role = (typeof ROLES)[number];

/** Operations (as named in the OpenAPI document) an `invoke` token may call. */
const INVOKE_OPERATIONS: ReadonlySet<string> = new Set([
  "RunPluginTool",
  "RunPluginValidate",
  "RunPluginToolAdapterRuntime",
  "ListPackages",
  "ReadPackageMetadata",
  "PluginIcon",
  "GetUsage",
  "SetPluginConfig",
  "GetPluginConfig",
  "DeletePluginConfig",
  "ListPluginConfigs",
  "ExportToolSchemas",
  "Health",
]);

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` may call `operation`; anything not listed for `invoke` is admin-only. */
export function roleAllows(role: Role, operation: string): boolean {
  return role === "admin" || INVOKE_OPERATIONS.has(operation);
}
