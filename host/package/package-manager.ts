// The package manager: installs, inspects, lists, finds and deletes packages in the
// `extensions/` folder (SPEC §2, §5). It ties the source, the builder and the publisher
// together; everything it exposes is plain data.
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import semver from "semver";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { FetchOptions } from "../../sandbox/options.ts";
import type { Sandbox } from "../../sandbox/sandbox-api.ts";
import { PACKAGE_NAME_PATTERN } from "./manifest.ts";
import { buildPackage, STAGE_PROGRESS, type StageListener } from "./package-builder.ts";
import { readPackageMeta, type PackageMeta, type PackageSource, type PackageSummary } from "./package-meta.ts";
import { PackagePublisher, STAGING_DIR, TRASH_DIR } from "./package-publisher.ts";
import { readPackageSource, type PackageSourceOptions } from "./package-source.ts";
import { zipLimitsFor } from "./zip-reader.ts";

export interface PackageManagerLogger {
  warn(obj: object, message: string): void;
}

export interface PackageManagerOptions {
  extensionsDir: string;
  sandbox: Pick<Sandbox, "inspect" | "dropPackage">;
  maxPackageBytes: number;
  fileRoots: readonly string[];
  fetch: FetchOptions;
  logger?: PackageManagerLogger;
  /** Swaps the http(s) download (tests); the guarded download by default. */
  download?: PackageSourceOptions["download"];
}

export interface InstallOptions {
  force?: boolean;
  signal?: AbortSignal;
  onStage?: StageListener;
}

export interface InstalledPackage {
  meta: PackageMeta;
  /** Absolute path of `extensions/{name}/{version}`. */
  dir: string;
}

/** Name and version as they may appear in a folder name; anything else cannot be installed. */
function isPackageId(name: string, version: string): boolean {
  return PACKAGE_NAME_PATTERN.test(name) && semver.valid(version) === version;
}

async function subfolders(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith(".")).map((entry) => entry.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

export class PackageManager {
  readonly #options: PackageManagerOptions;
  readonly #publisher: PackagePublisher;
  readonly #extensionsDir: string;

  constructor(options: PackageManagerOptions) {
    this.#options = options;
    this.#extensionsDir = path.resolve(options.extensionsDir);
    this.#publisher = new PackagePublisher(this.#extensionsDir);
  }

  /** Fetches, builds and publishes a package. */
  async install(source: PackageSource, options: InstallOptions = {}): Promise<PackageMeta> {
    const force = options.force ?? false;
    const zip = await this.#fetch(source, options);
    return buildPackage(zip, {
      ...this.#buildDeps(source, options),
      onManifest: async (manifest) => {
        if (!force) await this.#publisher.assertNotInstalled(manifest.name, manifest.version);
      },
      publish: (built) => this.#publisher.publish(built.dir, built.manifest.name, built.manifest.version, { force }),
    });
  }

  /** Builds and inspects a package without installing it. */
  async readMetadata(source: PackageSource, options: Omit<InstallOptions, "force"> = {}): Promise<PackageSummary> {
    const zip = await this.#fetch(source, options);
    const meta = await buildPackage(zip, this.#buildDeps(source, options));
    return { ...meta, plugins: meta.plugins.map((plugin) => plugin.name) };
  }

  /** Installed packages, by name then version. */
  async list(): Promise<PackageMeta[]> {
    const metas: PackageMeta[] = [];
    for (const name of await subfolders(this.#extensionsDir)) {
      for (const version of await subfolders(path.join(this.#extensionsDir, name))) {
        if (!isPackageId(name, version)) continue;
        const meta = await readPackageMeta(path.join(this.#extensionsDir, name, version));
        if (meta) metas.push(meta);
        else this.#options.logger?.warn({ pkg: name, version }, "installed package has no readable meta.json; skipped");
      }
    }
    return metas.sort((a, b) => a.name.localeCompare(b.name) || semver.compare(a.version, b.version));
  }

  /** The installed package name@version, or null. */
  async get(name: string, version: string): Promise<InstalledPackage | null> {
    if (!isPackageId(name, version)) return null;
    const dir = this.#publisher.versionDir(name, version);
    const meta = await readPackageMeta(dir);
    return meta ? { meta, dir } : null;
  }

  /** Uninstalls name@version and drops its warm isolates; `PackageNotFound` if it is not installed. */
  async delete(name: string, version: string): Promise<void> {
    const notFound = new RuntimeError("PackageNotFound", `package ${name}@${version} is not installed`);
    if (!isPackageId(name, version)) throw notFound;
    if (!(await this.#publisher.remove(name, version))) throw notFound;
    await this.#options.sandbox.dropPackage(name, version);
  }

  /**
   * Removes what a crashed process left in `.staging` and `.trash`. Entries younger than
   * `olderThanMs` may belong to a build still running elsewhere and are kept.
   */
  async sweepLeftovers(olderThanMs = 60 * 60 * 1000): Promise<number> {
    let removed = 0;
    for (const folder of [STAGING_DIR, TRASH_DIR]) {
      const dir = path.join(this.#extensionsDir, folder);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const entry = path.join(dir, name);
        const info = await stat(entry).catch(() => null);
        if (!info || Date.now() - info.mtimeMs < olderThanMs) continue;
        await rm(entry, { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  #fetch(source: PackageSource, options: InstallOptions): Promise<Buffer> {
    options.signal?.throwIfAborted();
    options.onStage?.("download", STAGE_PROGRESS.download);
    return readPackageSource(source.uri, {
      fileRoots: this.#options.fileRoots,
      maxPackageBytes: this.#options.maxPackageBytes,
      fetch: this.#options.fetch,
      signal: options.signal,
      download: this.#options.download,
    });
  }

  #buildDeps(source: PackageSource, options: InstallOptions) {
    return {
      extensionsDir: this.#extensionsDir,
      sandbox: this.#options.sandbox,
      source: { uri: source.uri, filename: source.filename },
      zipLimits: zipLimitsFor(this.#options.maxPackageBytes),
      signal: options.signal,
      onStage: options.onStage,
    };
  }
}
