// The package manager: installs, inspects, lists, finds and deletes packages in the
// `extensions/` folder (SPEC §2, §5). It ties the source, the builder and the publisher
// together; everything it exposes is plain data. `get` is on the hot path of every
// tool call, so found packages are kept in memory until this manager changes them.
import { randomUUID } from "node:crypto";
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import semver from "semver";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { FetchOptions } from "../../sandbox/options.ts";
import type { ArtifactDigests, Sandbox } from "../../sandbox/sandbox-api.ts";
import { ArtifactVerifier, checkRecord, isVerificationFailure } from "./artifact-record.ts";
import { BuildGate, type BuildGateLimits, type BuildTicket } from "./build-gate.ts";
import type { BundlerLimits } from "./bundler-service.ts";
import { PACKAGE_NAME_PATTERN } from "./manifest.ts";
import type { PackageManifest } from "./manifest.ts";
import { buildPackage, STAGE_PROGRESS, type BuiltPackage, type StageListener } from "./package-builder.ts";
import { brokenMeta, readPackageMeta, type PackageMeta, type PackageSource, type PackageSummary } from "./package-meta.ts";
import { PackagePublisher, STAGING_DIR, TRASH_DIR } from "./package-publisher.ts";
import { readPackageSource, type PackageSourceOptions } from "./package-source.ts";
import { zipLimitsFor } from "./zip-reader.ts";

export interface PackageManagerLogger {
  warn(obj: object, message: string): void;
}

export interface PackageManagerOptions {
  extensionsDir: string;
  /** `preparePackage`, when given, is told of every install so the package's first call starts warm. */
  sandbox: Pick<Sandbox, "inspect" | "dropPackage"> & Partial<Pick<Sandbox, "preparePackage">>;
  maxPackageBytes: number;
  /** The deployment's artifact key: signs what this node builds, and checks what it loads. */
  artifactKey: Buffer;
  /** Deadline of a whole http(s) download (`package.download_timeout_ms`); 120 s when absent. */
  downloadTimeoutMs?: number;
  fileRoots: readonly string[];
  fetch: FetchOptions;
  /** The bundler's time and memory caps per build (`package.bundle_timeout_ms`, `package.bundler_max_memory_mb`). */
  bundlerLimits?: BundlerLimits;
  /** Builds at once on this node, per tenant, and staging bytes across them (`package.max_concurrent_builds`, …). */
  buildLimits?: BuildGateLimits;
  logger?: PackageManagerLogger;
  /** Swaps the http(s) download (tests); the guarded download by default. */
  download?: PackageSourceOptions["download"];
  /** Keeps zips uploaded through the API (`upload://` sources); without it they are refused. */
  uploads?: PackageSourceOptions["uploads"];
  /** Reads `s3://bucket/key` sources (through the configured S3 client); without it they are refused. */
  readS3Source?: (uri: string, maxBytes: number, signal?: AbortSignal) => Promise<Buffer>;
}

export const DEFAULT_BUILD_LIMITS: BuildGateLimits = { maxConcurrent: 2, tenantMax: 2, stagingMaxBytes: 1024 * 1024 * 1024 };

export interface InstallOptions {
  force?: boolean;
  /** Who asked, for the per-tenant build cap; none for installs the job queue runs. */
  tenant?: string;
  signal?: AbortSignal;
  onStage?: StageListener;
}

export interface InstalledPackage {
  meta: PackageMeta;
  /** Absolute path of `extensions/{name}/{version}`. */
  dir: string;
  /** The digests of its verified artifact record, handed to the sandbox with every call. */
  artifacts: ArtifactDigests;
}

/** A build whose finished folder goes somewhere else than `extensions/` (package storage). */
export interface BuildHooks {
  signal?: AbortSignal;
  tenant?: string;
  onStage?: StageListener;
  /** Runs once the manifest is read, before bundling (take a lock, refuse an installed version). */
  onManifest(manifest: PackageManifest): Promise<void>;
  /** Receives the finished folder and the original zip; the folder is removed afterwards. */
  publish(built: BuiltPackage, zip: Uint8Array): Promise<void>;
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
  readonly #verifier: ArtifactVerifier;
  /** Installed packages found so far, by name@version. */
  readonly #found = new Map<string, InstalledPackage>();
  /** Moves on at every `forget`, so a lookup that raced a change does not cache what it read. */
  #changes = 0;
  readonly #gate: BuildGate;

  constructor(options: PackageManagerOptions) {
    this.#options = options;
    this.#extensionsDir = path.resolve(options.extensionsDir);
    this.#publisher = new PackagePublisher(this.#extensionsDir);
    this.#verifier = new ArtifactVerifier(options.artifactKey);
    this.#gate = new BuildGate(options.buildLimits ?? DEFAULT_BUILD_LIMITS);
  }

  /** Runs one build (download included) through the node's build gate. */
  async #gated<T>(options: Pick<InstallOptions, "tenant" | "signal">, build: (ticket: BuildTicket) => Promise<T>): Promise<T> {
    const ticket = await this.#gate.enter(options.tenant, options.signal);
    try {
      return await build(ticket);
    } finally {
      ticket.release();
    }
  }

  get extensionsDir(): string {
    return this.#extensionsDir;
  }

  /** Fetches, builds and publishes a package. */
  async install(source: PackageSource, options: InstallOptions = {}): Promise<PackageMeta> {
    const force = options.force ?? false;
    let replaced = false;
    let artifacts: ArtifactDigests = {};
    const meta = await this.#gated(options, async (ticket) => buildPackage(await this.#fetch(source, options), {
      ...this.#buildDeps(source, options, ticket),
      onManifest: async (manifest) => {
        if (!force) await this.#publisher.assertNotInstalled(manifest.name, manifest.version);
      },
      publish: async (built) => {
        replaced = await this.#publisher.isInstalled(built.manifest.name, built.manifest.version);
        artifacts = built.record.files;
        await this.#publisher.publish(built.dir, built.manifest.name, built.manifest.version, { force });
      },
    }));
    this.forget(meta.name, meta.version);
    // Warm isolates and cached files of a replaced version would keep running the old code.
    if (replaced) await this.#options.sandbox.dropPackage(meta.name, meta.version);
    this.#options.sandbox.preparePackage?.({ pkg: meta.name, version: meta.version, dir: this.#publisher.versionDir(meta.name, meta.version), artifacts });
    return meta;
  }

  /** Fetches and builds a package, handing the result to `hooks.publish` instead of `extensions/`. */
  async build(source: PackageSource, hooks: BuildHooks): Promise<PackageMeta> {
    return this.#gated(hooks, async (ticket) => {
      const zip = await this.#fetch(source, hooks);
      return buildPackage(zip, {
        ...this.#buildDeps(source, hooks, ticket),
        onManifest: hooks.onManifest,
        publish: (built) => hooks.publish(built, zip),
      });
    });
  }

  /**
   * Makes a finished folder (e.g. a copy from package storage, in `stagingDir()`) the
   * installed name@version, replacing any installed one and dropping its isolates. A
   * folder whose artifacts fail verification is refused before it replaces anything.
   */
  async adopt(dir: string, name: string, version: string): Promise<InstalledPackage> {
    if (!isPackageId(name, version)) throw new RuntimeError("Internal", `not a package version: ${name}@${version}`);
    try {
      await this.#verifier.verify(dir, name, version);
    } finally {
      this.#verifier.forget(dir);
    }
    const replaced = await this.#publisher.isInstalled(name, version);
    this.forget(name, version);
    await this.#publisher.publish(dir, name, version, { force: true });
    if (replaced) await this.#options.sandbox.dropPackage(name, version);
    const installed = await this.get(name, version);
    if (installed === null) throw new RuntimeError("Internal", `package ${name}@${version} has no readable meta.json after adopting it`);
    return installed;
  }

  /**
   * Checks an artifact record (e.g. one kept in a storage marker) against this node's
   * artifact key; throws an `InvalidPackage` verification failure when it does not pass.
   */
  checkRecord(record: unknown, name: string, version: string): ArtifactDigests {
    return checkRecord(record, name, version, this.#options.artifactKey);
  }

  /** A new, unique folder path under `extensions/.staging/` (not created), on the same disk as the installed packages. */
  stagingDir(): string {
    return path.join(this.#extensionsDir, STAGING_DIR, randomUUID());
  }

  /** Drops what is known in memory of name@version, e.g. after another process changed it. */
  forget(name: string, version: string): void {
    this.#changes++;
    this.#found.delete(`${name}@${version}`);
    this.#verifier.forget(this.#publisher.versionDir(name, version));
  }

  /** Builds and inspects a package without installing it. */
  async readMetadata(source: PackageSource, options: Omit<InstallOptions, "force"> = {}): Promise<PackageSummary> {
    const meta = await this.#gated(options, async (ticket) => buildPackage(await this.#fetch(source, options), this.#buildDeps(source, options, ticket)));
    return { name: meta.name, version: meta.version, uri: meta.uri, filename: meta.filename, plugins: meta.plugins.map((plugin) => plugin.name) };
  }

  /** Installed packages, by name then version; one whose artifacts fail verification is listed with `broken`. */
  async list(): Promise<PackageMeta[]> {
    const metas: PackageMeta[] = [];
    for (const name of await subfolders(this.#extensionsDir)) {
      for (const version of await subfolders(path.join(this.#extensionsDir, name))) {
        if (!isPackageId(name, version)) continue;
        const dir = path.join(this.#extensionsDir, name, version);
        const meta = await readPackageMeta(dir);
        if (!meta) {
          this.#options.logger?.warn({ pkg: name, version }, "installed package has no readable meta.json; skipped");
          continue;
        }
        const refusal = await this.#verifier.verify(dir, name, version).then(
          () => null,
          (err: unknown) => {
            if (isVerificationFailure(err)) return err.message;
            throw err;
          },
        );
        metas.push(refusal === null ? meta : brokenMeta(name, version, refusal, meta));
      }
    }
    return metas.sort((a, b) => a.name.localeCompare(b.name) || semver.compare(a.version, b.version));
  }

  /**
   * The installed package name@version, or null. Its artifacts are verified against its
   * record first: an `InvalidPackage` verification failure when they do not check out.
   */
  async get(name: string, version: string): Promise<InstalledPackage | null> {
    const key = `${name}@${version}`;
    const known = this.#found.get(key);
    if (known !== undefined) return known;
    if (!isPackageId(name, version)) return null;
    const changes = this.#changes;
    const dir = this.#publisher.versionDir(name, version);
    const meta = await readPackageMeta(dir);
    if (!meta) return null;
    const artifacts = await this.#verifier.verify(dir, name, version);
    const installed = { meta, dir, artifacts };
    if (changes === this.#changes) this.#found.set(key, installed);
    return installed;
  }

  /** Uninstalls name@version and drops its warm isolates; `PackageNotFound` if it is not installed. */
  async delete(name: string, version: string): Promise<void> {
    const notFound = new RuntimeError("PackageNotFound", `package ${name}@${version} is not installed`);
    if (!isPackageId(name, version)) throw notFound;
    this.forget(name, version);
    const removed = await this.#publisher.remove(name, version);
    this.forget(name, version);
    if (!removed) throw notFound;
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

  #fetch(source: PackageSource, options: Pick<InstallOptions, "signal" | "onStage">): Promise<Buffer> {
    options.signal?.throwIfAborted();
    options.onStage?.("download", STAGE_PROGRESS.download);
    if (/^s3:/i.test(source.uri) && this.#options.readS3Source !== undefined) {
      return this.#options.readS3Source(source.uri, this.#options.maxPackageBytes, options.signal);
    }
    return readPackageSource(source.uri, {
      fileRoots: this.#options.fileRoots,
      maxPackageBytes: this.#options.maxPackageBytes,
      fetch: this.#options.fetch,
      signal: options.signal,
      download: this.#options.download,
      ...(this.#options.uploads === undefined ? {} : { uploads: this.#options.uploads }),
      ...(this.#options.downloadTimeoutMs === undefined ? {} : { downloadTimeoutMs: this.#options.downloadTimeoutMs }),
    });
  }

  #buildDeps(source: PackageSource, options: Pick<InstallOptions, "signal" | "onStage">, ticket: BuildTicket) {
    return {
      stage: ticket.stage,
      extensionsDir: this.#extensionsDir,
      sandbox: this.#options.sandbox,
      artifactKey: this.#options.artifactKey,
      source: { uri: source.uri, filename: source.filename },
      zipLimits: zipLimitsFor(this.#options.maxPackageBytes),
      ...(this.#options.bundlerLimits === undefined ? {} : { bundlerLimits: this.#options.bundlerLimits }),
      signal: options.signal,
      onStage: options.onStage,
    };
  }
}
