// The package manager's public surface: what the HTTP layer and the job worker use.
export { PackageManager } from "./package-manager.ts";
export { managerOptionsFromConfig } from "./manager-options.ts";
export { ARTIFACT_KEY, loadArtifactKey } from "./artifact-key.ts";
export { isVerificationFailure } from "./artifact-record.ts";
export type { BuildHooks, InstallOptions, InstalledPackage, PackageManagerLogger, PackageManagerOptions } from "./package-manager.ts";
export type { PackageMeta, PackageSource, PackageSummary } from "./package-meta.ts";
export { STAGE_PROGRESS } from "./package-builder.ts";
export type { BuildStage, BuiltPackage, StageListener } from "./package-builder.ts";
export { bundlePackage } from "./bundler.ts";
export { bundlerService, type BundlerHealth, type BundlerLimits } from "./bundler-service.ts";
export type { BundleOptions, BundleOutput } from "./bundler.ts";
export { LocalVersionLocks, type VersionLease, type VersionLocks } from "./version-locks.ts";
export { PackageEventSchema, type PackageEvent, type PackageEventHandlers, type PackageEvents } from "./package-events.ts";
export { StorageInstaller, type StorageInstallOptions, type StorageInstallerOptions } from "./storage-installer.ts";
export { SharedPackageCatalog, type SharedPackageCatalogOptions } from "./shared-package-catalog.ts";
export { UploadStore, UPLOAD_SCHEME, type UploadStoreOptions } from "./upload-store.ts";
