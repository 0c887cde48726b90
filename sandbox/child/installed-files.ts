// The files of installed package versions as a sandbox child reads them (bundle, code
// cache, fetch origins from the manifest, source map), kept in memory once read.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { RuntimeError } from "../errors.ts";
import { INSTALLED_FILES } from "../sandbox-api.ts";
import { StackMapper } from "../source-map/stack-mapper.ts";

export interface InstalledFiles {
  code: string;
  cache: Buffer | null;
  origins: string[];
}

async function readInstalled(dir: string): Promise<InstalledFiles> {
  let code: string;
  let manifest: { hiagent?: { permissions?: { fetch?: unknown } } };
  try {
    [code, manifest] = await Promise.all([
      readFile(join(dir, INSTALLED_FILES.bundle), "utf8"),
      readFile(join(dir, INSTALLED_FILES.manifest), "utf8").then((t) => JSON.parse(t) as typeof manifest),
    ]);
  } catch {
    throw new RuntimeError("PackageNotFound", "package files are missing");
  }
  const cache = await readFile(join(dir, INSTALLED_FILES.codeCache)).catch(() => null);
  const fetch = manifest.hiagent?.permissions?.fetch;
  const origins = Array.isArray(fetch) ? fetch.filter((o): o is string => typeof o === "string") : [];
  return { code, cache, origins };
}

/**
 * Installed files, kept in memory once read: an installed version never changes in
 * place (a reinstall or delete drops it first), and another tenant's first call of the
 * same package then starts without touching the disk.
 */
export class InstalledFilesCache {
  private readonly files = new Map<string, Promise<InstalledFiles>>();
  private readonly mappers = new Map<string, Promise<StackMapper | null>>();
  constructor(private readonly cap: number) {}

  /** The bundle's source map, read on the first error that needs it. */
  mapper(dir: string): Promise<StackMapper | null> {
    let p = this.mappers.get(dir);
    if (!p) {
      p = readFile(join(dir, INSTALLED_FILES.sourceMap), "utf8")
        .then((text) => new StackMapper(text))
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
    p = readInstalled(dir);
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
