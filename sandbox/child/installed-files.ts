// The files of installed package versions as a sandbox child sees them (bundle, code
// cache, fetch origins, source map), kept in memory once fetched. The child reads no
// package folder itself: `PackageFileSource` asks the host (sandbox/package-files.ts).
// What arrives is checked here, in the process that hands it to V8, against the digests
// of the version's verified artifact record: a bundle that does not match is refused,
// a code cache that does not match is thrown away (V8 runs whatever a cache says, for
// any source of the same length: CVE-2022-39266) and made again from the bundle.
import { createHash } from "node:crypto";
import { RuntimeError } from "../errors.ts";
import type { InstalledFiles } from "../package-files.ts";
import { INSTALLED_FILES, type ArtifactDigests, type PackageTarget } from "../sandbox-api.ts";
import { StackMapper } from "../source-map/stack-mapper.ts";

export type { InstalledFiles } from "../package-files.ts";

export interface PackageFileSource {
  installed(dir: string): Promise<InstalledFiles>;
  sourceMap(dir: string): Promise<string | null>;
}

/** Installed files that passed verification. */
export interface VerifiedFiles extends InstalledFiles {
  /** The stored code cache was not the one the record names: the first load makes a new one (then kept here). */
  cacheRefused: boolean;
}

function matches(bytes: Uint8Array | string, expected: string | undefined): boolean {
  return expected !== undefined && createHash("sha256").update(bytes).digest("hex") === expected;
}

function verify(target: PackageTarget, files: InstalledFiles): VerifiedFiles {
  // The bundle is hashed as V8 will be given it: its UTF-8 text (esbuild writes UTF-8).
  if (!matches(files.code, target.artifacts[INSTALLED_FILES.bundle])) {
    throw new RuntimeError("InvalidPackage", `package ${target.pkg}@${target.version} failed artifact verification: ${INSTALLED_FILES.bundle} does not match its record; reinstall it`, {
      data: { verification: "failed" },
    });
  }
  const expectedCache = target.artifacts[INSTALLED_FILES.codeCache];
  if (files.cache === null) return { ...files, cacheRefused: expectedCache !== undefined };
  if (!matches(files.cache, expectedCache)) return { ...files, cache: null, cacheRefused: true };
  return { ...files, cacheRefused: false };
}

/** Which record a read was checked against: another record means the files must be fetched again. */
function recordKey(artifacts: ArtifactDigests): string {
  return [INSTALLED_FILES.bundle, INSTALLED_FILES.codeCache, INSTALLED_FILES.sourceMap].map((f) => artifacts[f] ?? "").join(":");
}

/**
 * Installed files, kept in memory once read: an installed version never changes in
 * place (a reinstall or delete drops it first), and another tenant's first call of the
 * same package then starts without asking the host again.
 */
export class InstalledFilesCache {
  private readonly files = new Map<string, { record: string; files: Promise<VerifiedFiles> }>();
  private readonly mappers = new Map<string, { record: string; mapper: Promise<StackMapper | null> }>();
  constructor(
    private readonly cap: number,
    private readonly source: PackageFileSource,
  ) {}

  /** The bundle's source map (only one that matches the record), read on the first error that needs it. */
  mapper(target: PackageTarget): Promise<StackMapper | null> {
    const record = recordKey(target.artifacts);
    const known = this.mappers.get(target.dir);
    if (known?.record === record) return known.mapper;
    const mapper = this.source
      .sourceMap(target.dir)
      .then((text) => (text !== null && matches(text, target.artifacts[INSTALLED_FILES.sourceMap]) ? new StackMapper(text) : null))
      .catch(() => null);
    this.mappers.set(target.dir, { record, mapper });
    while (this.mappers.size > this.cap) this.mappers.delete(this.mappers.keys().next().value!);
    return mapper;
  }

  get(target: PackageTarget): Promise<VerifiedFiles> {
    const record = recordKey(target.artifacts);
    const known = this.files.get(target.dir);
    this.files.delete(target.dir);
    if (known?.record === record) {
      this.files.set(target.dir, known);
      return known.files;
    }
    const entry = { record, files: this.source.installed(target.dir).then((files) => verify(target, files)) };
    entry.files.catch(() => {
      if (this.files.get(target.dir) === entry) this.files.delete(target.dir);
    });
    this.files.set(target.dir, entry);
    while (this.files.size > this.cap) this.files.delete(this.files.keys().next().value!);
    return entry.files;
  }

  forget(match: (dir: string) => boolean): void {
    for (const dir of [...this.files.keys()]) if (match(dir)) this.files.delete(dir);
    for (const dir of [...this.mappers.keys()]) if (match(dir)) this.mappers.delete(dir);
  }
}
