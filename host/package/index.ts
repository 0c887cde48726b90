// The package manager's public surface: what the HTTP layer and the job worker use.
export { PackageManager } from "./package-manager.ts";
export type { InstallOptions, InstalledPackage, PackageManagerLogger, PackageManagerOptions } from "./package-manager.ts";
export type { PackageMeta, PackageSource, PackageSummary } from "./package-meta.ts";
export { STAGE_PROGRESS } from "./package-builder.ts";
export type { BuildStage, StageListener } from "./package-builder.ts";
export { bundlePackage } from "./bundler.ts";
export type { BundleOptions, BundleOutput } from "./bundler.ts";
