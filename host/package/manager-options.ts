// The package manager's options as the config gives them, for every entry point that
// makes one (API node, install worker): one mapping of the `package` section.
import type { Config } from "../config/index.ts";
import type { PackageManagerOptions } from "./package-manager.ts";

export function managerOptionsFromConfig(
  config: Pick<Config, "package" | "sandbox">,
  parts: Pick<PackageManagerOptions, "extensionsDir" | "sandbox" | "logger" | "artifactKey">,
): PackageManagerOptions {
  return {
    ...parts,
    maxPackageBytes: config.package.max_package_bytes,
    downloadTimeoutMs: config.package.download_timeout_ms,
    fileRoots: config.package.file_roots,
    fetch: config.sandbox.fetch,
    buildLimits: {
      maxConcurrent: config.package.max_concurrent_builds,
      tenantMax: config.package.tenant_max_builds,
      stagingMaxBytes: config.package.staging_max_bytes,
    },
    bundlerLimits: { timeoutMs: config.package.bundle_timeout_ms, maxMemoryBytes: config.package.bundler_max_memory_mb * 1024 * 1024 },
  };
}
