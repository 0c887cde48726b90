// The metadata of an installed package, as stored in its `meta.json` and returned by
// InstallPackage and ListPackages (SPEC §5 `PackageMeta`).
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { PluginMeta } from "../../sandbox/sandbox-api.ts";
import { INSTALLED_FILES } from "../../sandbox/sandbox-api.ts";

export interface PackageSource {
  uri: string;
  /** A display name given by the installer; never used as a path. */
  filename: string;
}

export interface PackageMeta extends PackageSource {
  name: string;
  version: string;
  /** What the package may reach: `hiagent.permissions.fetch` (absent in packages installed before it was recorded). */
  permissions?: { fetch: string[] };
  plugins: PluginMeta[];
  /**
   * Set (in listings only) on a version this node refuses to load because its artifacts
   * failed verification: why, and that it must be reinstalled. Its plugins are then empty.
   */
  broken?: string;
}

/** A listing entry of a version whose artifacts failed verification (nothing of its meta is trusted but where it came from). */
export function brokenMeta(name: string, version: string, reason: string, source?: Partial<PackageSource> | null): PackageMeta {
  return { name, version, uri: typeof source?.uri === "string" ? source.uri : "", filename: typeof source?.filename === "string" ? source.filename : "", plugins: [], broken: reason };
}

/** What ReadPackageMetadata answers: the plugin names only. */
export interface PackageSummary extends PackageSource {
  name: string;
  version: string;
  plugins: string[];
}

/** Reads `meta.json` of an installed package folder; null when absent or unreadable. */
export async function readPackageMeta(versionDir: string): Promise<PackageMeta | null> {
  try {
    const meta = JSON.parse(await readFile(path.join(versionDir, INSTALLED_FILES.meta), "utf8")) as PackageMeta;
    if (typeof meta?.name !== "string" || typeof meta.version !== "string" || !Array.isArray(meta.plugins)) return null;
    return meta;
  } catch {
    return null;
  }
}
