// The files of installed package versions as a sandbox child sees them (bundle, code
// cache, fetch origins, source map), kept in memory once fetched. The child reads no
// package folder itself: `PackageFileSource` asks the host (sandbox/package-files.ts).
import type { InstalledFiles } from "../package-files.ts";
import { StackMapper } from "../source-map/stack-mapper.ts";

export type { InstalledFiles } from "../package-files.ts";

export interface PackageFileSource {
  installed(dir: string): Promise<InstalledFiles>;
  sourceMap(dir: string): Promise<string | null>;
}

/**
 * Installed files, kept in memory once read: an installed version never changes in
 * place (a reinstall or delete drops it first), and another tenant's first call of the
 * same package then starts without asking the host again.
 */
export class InstalledFilesCache {
  private readonly files = new Map<string, Promise<InstalledFiles>>();
  private readonly mappers = new Map<string, Promise<StackMapper | null>>();
  constructor(
    private readonly cap: number,
    private readonly source: PackageFileSource,
  ) {}

  /** The bundle's source map, read on the first error that needs it. */
  mapper(dir: string): Promise<StackMapper | null> {
    let p = this.mappers.get(dir);
    if (!p) {
      p = this.source
        .sourceMap(dir)
        .then((text) => (text === null ? null : new StackMapper(text)))
        .catch(() => null);
      this.mappers.set(dir, p);
      while (this.mappers.size > this.cap) this.mappers.delete(this.mappers.keys().next().value!);
    }
    return p;
  }

  get(dir: string): Promise<InstalledFiles> {
    let p = this.files.get(dir);
    if (p) {
      this.files.delete(dir);
      this.files.set(dir, p);
      return p;
    }
    p = this.source.installed(dir);
    p.catch(() => this.files.delete(dir));
    this.files.set(dir, p);
    while (this.files.size > this.cap) this.files.delete(this.files.keys().next().value!);
    return p;
  }

  forget(match: (dir: string) => boolean): void {
    for (const dir of [...this.files.keys()]) if (match(dir)) this.files.delete(dir);
    for (const dir of [...this.mappers.keys()]) if (match(dir)) this.mappers.delete(dir);
  }
}
