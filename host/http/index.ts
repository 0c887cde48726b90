// The HTTP layer's public face.
export { createHttpApp, API_TITLE } from "./http-app.ts";
export { listen, type HttpServer } from "./http-server.ts";
export type { ApiDeps, ComponentHealth } from "./api-deps.ts";
export type { PackageCatalog, InstalledPackageRef, PackageSourceRef } from "./package-catalog.ts";
export type { PackageMeta, PackageSummary } from "./api-schemas.ts";
export { DEFAULT_TENANT, tenantOf } from "./tenant.ts";
