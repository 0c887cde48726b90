// The files of installed package versions as a sandbox child reads them (bundle, code
// cache, fetch origins from the manifest, source map), kept in memory once read. Every
// file is hashed as read and compared with the digest the host took from the version's
// verified artifact record: a bundle or manifest that does not match is refused, a
// code cache that does not match is thrown away (V8 runs whatever a cache says, for
// any source of the same length: CVE-2022-39266) and made again from the bundle.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { RuntimeError } from "../errors.ts";
import { INSTALLED_FILES, type ArtifactDigests, type PackageTarget } from "../sandbox-api.ts";
import { StackMapper } from "../source-map/stack-mapper.ts";

export interface InstalledFiles {
  code: string;
  /** A verified code cache (or one this process made from the verified bundle); null when there is none. */
  cache: Buffer | null;
  origins: string[];
  /** The stored code cache was missing from the record or did not match it: the first load makes a new one. */
  cacheRefused: boolean;
}

function digestOf(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function refused(target: PackageTarget, file: string): RuntimeError {
  return new RuntimeError("InvalidPackage", `package ${target.pkg}@${target.version} failed artifact verification: ${file} does not match its record; reinstall it`, {
    data: { verification: "failed" },
  });
}

/** Reads a file the record must vouch for; refuses it when it does not. */
async function readVerified(target: PackageTarget, file: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(target.dir, file));
  } catch {
    throw new RuntimeError("PackageNotFound", "package files are missing");
  }
  const expected = target.artifacts[file];
  if (expected === undefined || digestOf(bytes) !== expected) throw refused(target, file);
  return bytes;
}

/** The stored code cache, only when it is the one the record names. */
async function readCache(target: PackageTarget): Promise<{ cache: Buffer | null; refused: boolean }> {
  const bytes = await readFile(join(target.dir, INSTALLED_FILES.codeCache)).catch(() => null);
  const expected = target.artifacts[INSTALLED_FILES.codeCache];
  if (bytes === null) return { cache: null, refused: expected !== undefined };
  if (expected === undefined || digestOf(bytes) !== expected) return { cache: null, refused: true };
  return { cache: bytes, refused: false };
}

async function readInstalled(target: PackageTarget): Promise<InstalledFiles> {
  const [bundle, manifestBytes, stored] = await Promise.all([
    readVerified(target, INSTALLED_FILES.bundle),
    readVerified(target, INSTALLED_FILES.manifest),
    readCache(target),
  ]);
  let manifest: { hiagent?: { permissions?: { fetch?: unknown } } };
  try {
    manifest = JSON.parse(manifestBytes.toString("utf8")) as typeof manifest;
  } catch {
    throw new RuntimeError("InvalidPackage", `package ${target.pkg}@${target.version} has an unreadable package.json`);
  }
  const fetch = manifest.hiagent?.permissions?.fetch;
  const origins = Array.isArray(fetch) ? fetch.filter((o): o is string => typeof o === "string") : [];
  return { code: bundle.toString("utf8"), cache: stored.cache, origins, cacheRefused: stored.refused };
}

/** Which record a read was checked against: another record means the files must be read again. */
function recordKey(artifacts: ArtifactDigests): string {
  return `${artifacts[INSTALLED_FILES.bundle] ?? ""}:${artifacts[INSTALLED_FILES.manifest] ?? ""}:${artifacts[INSTALLED_FILES.codeCache] ?? ""}:${artifacts[INSTALLED_FILES.sourceMap] ?? ""}`;
}

/**
 * Installed files, kept in memory once read: an installed version never changes in
 * place (a reinstall or delete drops it first), and another tenant's first call of the
 * same package then starts without touching the disk.
 */
export class InstalledFilesCache {
  private readonly files = new Map<string, { record: string; files: Promise<InstalledFiles> }>();
  private readonly mappers = new Map<string, { record: string; mapper: Promise<StackMapper | null> }>();
  constructor(private readonly cap: number) {}

  /** The bundle's source map (when it matches the record), read on the first error that needs it. */
  mapper(target: PackageTarget): Promise<StackMapper | null> {
    const record = recordKey(target.artifacts);
    const known = this.mappers.get(target.dir);
    if (known?.record === record) return known.mapper;
    const mapper = readVerified(target, INSTALLED_FILES.sourceMap)
      .then((bytes) => new StackMapper(bytes.toString("utf8")))
      .catch(() => null);
    this.mappers.set(target.dir, { record, mapper });
    while (this.mappers.size > this.cap) this.mappers.delete(this.mappers.keys().next().value!);
    return mapper;
  }

  get(target: PackageTarget): Promise<InstalledFiles> {
    const record = recordKey(target.artifacts);
    const known = this.files.get(target.dir);
    this.files.delete(target.dir);
    if (known?.record === record) {
      this.files.set(target.dir, known);
      return known.files;
    }
    const entry = { record, files: readInstalled(target) };
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
