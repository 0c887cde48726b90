// What the HTTP layer needs of the package manager: read, list, look up and delete
// installed packages. Installs go through the job queue instead.
import type { PackageMeta, PackageSummary } from "./api-schemas.ts";

export interface PackageSourceRef {
  uri: string;
  filename: string;
}

export interface InstalledPackageRef {
  meta: PackageMeta;
  /** The installed folder (`extensions/{name}/{version}`), as the sandbox loads it. */
  dir: string;
}

export interface PackageCatalog {
  /** `tenant`: who asks, for the per-tenant build cap. */
  readMetadata(source: PackageSourceRef, options?: { tenant?: string }): Promise<PackageSummary>;
  list(): Promise<PackageMeta[]>;
  get(name: string, version: string): Promise<InstalledPackageRef | null>;
  delete(name: string, version: string): Promise<void>;
}
