// What the HTTP layer needs of the package manager: read, list, look up and delete
// installed packages. Installs go through the job queue instead.
import type { ArtifactDigests } from "../../sandbox/index.ts";
import type { PackageMeta, PackageSummary } from "./api-schemas.ts";

export interface PackageSourceRef {
  uri: string;
  filename: string;
}

export interface InstalledPackageRef {
  meta: PackageMeta;
  /** The installed folder (`extensions/{name}/{version}`), as the sandbox loads it. */
  dir: string;
  /** Its verified artifact digests: the sandbox loads only files that match them. */
  artifacts: ArtifactDigests;
}

export interface PackageCatalog {
  /** `tenant`: who asks, for the per-tenant build cap. */
  readMetadata(source: PackageSourceRef, options?: { tenant?: string }): Promise<PackageSummary>;
  /** Installed packages; a version whose artifacts fail verification carries `broken`. */
  list(): Promise<PackageMeta[]>;
  /** The installed version, or null; an `InvalidPackage` error when its artifacts fail verification. */
  get(name: string, version: string): Promise<InstalledPackageRef | null>;
  delete(name: string, version: string): Promise<void>;
}
