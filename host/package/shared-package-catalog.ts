// The packages of a deployment, as every API node sees them (SPEC §6): package
// storage is the truth, and each node materialises a version into its own
// `extensions/` on first use, copying the built artifacts (code cache included),
// never rebuilding. Lookups are cached in memory; a delete on any node reaches the
// others as a package event, and each drops its copy, its cache entry and its isolates.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import semver from "semver";
import { RuntimeError } from "../../sandbox/errors.ts";
import { RevisionGone, type PackageStorage, type VersionMarker } from "../storage/index.ts";
import { isVerificationFailure } from "./artifact-record.ts";
import { PACKAGE_NAME_PATTERN } from "./manifest.ts";
import type { PackageEvent, PackageEvents } from "./package-events.ts";
import type { InstalledPackage, PackageManager } from "./package-manager.ts";
import { brokenMeta, type PackageMeta, type PackageSource, type PackageSummary } from "./package-meta.ts";
import { metaOfMarker } from "./stored-package-meta.ts";
import type { VersionLocks } from "./version-locks.ts";

/** Beside the materialised files: the storage revision they were copied from. */
export const REVISION_FILE = ".revision";
const DELETE_LOCK_WAIT_MS = 30_000;
const MATERIALISE_ATTEMPTS = 3;

export interface SharedPackageCatalogLogger {
  info(obj: object, message: string): void;
  warn(obj: object, message: string): void;
}

export interface SharedPackageCatalogOptions {
  manager: PackageManager;
  storage: PackageStorage;
  locks: VersionLocks;
  /** Absent on a single node (nobody else to tell). */
  events?: PackageEvents;
  logger?: SharedPackageCatalogLogger;
}

export class SharedPackageCatalog {
  readonly #options: SharedPackageCatalogOptions;
  readonly #found = new Map<string, InstalledPackage>();
  readonly #loading = new Map<string, Promise<InstalledPackage | null>>();
  /** Revisions whose artifacts failed verification here, by name@version: refused without another download. */
  readonly #broken = new Map<string, { revision: string; error: RuntimeError }>();
  /** Moves on at every invalidation, so a lookup that raced one does not cache what it read. */
  #changes = 0;

  constructor(options: SharedPackageCatalogOptions) {
    this.#options = options;
  }

  /** Starts listening for other nodes' changes; then removes local copies of versions no longer in storage. */
  async start(): Promise<void> {
    await this.#options.events?.listen({
      onEvent: (event) => void this.#onEvent(event),
      onResync: () => this.#forgetAll(),
    });
    void this.#dropOrphans().catch((err: unknown) => this.#options.logger?.warn({ err }, "could not check local package copies against storage"));
  }

  readMetadata(source: PackageSource, options: { tenant?: string } = {}): Promise<PackageSummary> {
    return this.#options.manager.readMetadata(source, options);
  }

  /**
   * Every version in storage: the same list on every node, except that a version this
   * node refuses (its record does not pass under this node's key, or its files failed
   * verification here) is listed with `broken`.
   */
  async list(): Promise<PackageMeta[]> {
    const markers = await this.#options.storage.list();
    const metas: PackageMeta[] = [];
    for (const marker of markers) {
      const meta = metaOfMarker(marker);
      if (meta === null) continue;
      const refusal = this.#refusal(marker);
      metas.push(refusal === null ? meta : brokenMeta(marker.name, marker.version, refusal.message, meta));
    }
    return metas;
  }

  /** Why this node refuses the marker's revision, or null. */
  #refusal(marker: VersionMarker): RuntimeError | null {
    const known = this.#broken.get(`${marker.name}@${marker.version}`);
    if (known?.revision === marker.revision) return known.error;
    if (marker.record === undefined) {
      return new RuntimeError("InvalidPackage", `package ${marker.name}@${marker.version} failed artifact verification: it was published without an artifact record; reinstall it`, {
        data: { verification: "failed" },
      });
    }
    try {
      this.#options.manager.checkRecord(marker.record, marker.name, marker.version);
      return null;
    } catch (err) {
      if (isVerificationFailure(err)) return err;
      throw err;
    }
  }

  async get(name: string, version: string): Promise<InstalledPackage | null> {
    const key = `${name}@${version}`;
    const known = this.#found.get(key);
    if (known !== undefined) return known;
    if (!PACKAGE_NAME_PATTERN.test(name) || semver.valid(version) !== version) return null;
    let loading = this.#loading.get(key);
    if (loading === undefined) {
      loading = this.#load(name, version).finally(() => this.#loading.delete(key));
      this.#loading.set(key, loading);
    }
    return loading;
  }

  async delete(name: string, version: string): Promise<void> {
    const notFound = new RuntimeError("PackageNotFound", `package ${name}@${version} is not installed`);
    if (!PACKAGE_NAME_PATTERN.test(name) || semver.valid(version) !== version) throw notFound;
    const { locks, storage, events, logger } = this.#options;
    const lease = await locks.acquire(name, version, AbortSignal.timeout(DELETE_LOCK_WAIT_MS)).catch((err: unknown) => {
      throw err instanceof RuntimeError ? err : new RuntimeError("Internal", `package ${name}@${version} is busy (an install holds its lock); try again`);
    });
    let existed: boolean;
    try {
      existed = await storage.delete(name, version);
    } finally {
      await lease.release();
    }
    await this.#evict(name, version);
    await events?.send({ type: "deleted", name, version }).catch((err: unknown) => logger?.warn({ err, pkg: name, version }, "could not announce the delete"));
    if (!existed) throw notFound;
  }

  async #load(name: string, version: string): Promise<InstalledPackage | null> {
    const changes = this.#changes;
    let marker = await this.#options.storage.marker(name, version);
    for (let attempt = 1; marker !== null; attempt++) {
      const refusal = this.#refusal(marker);
      if (refusal !== null) throw refusal;
      try {
        const installed = (await this.#localCopy(marker)) ?? (await this.#materialise(marker));
        if (changes === this.#changes) this.#found.set(`${name}@${version}`, installed);
        return installed;
      } catch (err) {
        if (isVerificationFailure(err)) {
          this.#broken.set(`${name}@${version}`, { revision: marker.revision, error: err });
          this.#options.logger?.warn({ pkg: name, version, revision: marker.revision, reason: err.message }, "refused a package version whose artifacts failed verification");
          throw err;
        }
        // Replaced or deleted while we copied it: look again.
        if (!(err instanceof RevisionGone) || attempt >= MATERIALISE_ATTEMPTS) throw err;
        marker = await this.#options.storage.marker(name, version);
      }
    }
    await this.#removeLocal(name, version);
    return null;
  }

  /** The local copy, if it is of the marker's revision. */
  async #localCopy(marker: VersionMarker): Promise<InstalledPackage | null> {
    const { manager } = this.#options;
    const dir = path.join(manager.extensionsDir, marker.name, marker.version);
    const revision = await readFile(path.join(dir, REVISION_FILE), "utf8").catch(() => null);
    if (revision !== marker.revision) return null;
    try {
      return await manager.get(marker.name, marker.version);
    } catch (err) {
      // The local copy was changed after it was checked: copy the stored one again.
      if (!isVerificationFailure(err)) throw err;
      this.#options.logger?.warn({ pkg: marker.name, version: marker.version, reason: err.message }, "the local copy of a package failed verification; copying it from storage again");
      return null;
    }
  }

  /** Copies the marker's revision from storage into `extensions/` and swaps it in. */
  async #materialise(marker: VersionMarker): Promise<InstalledPackage> {
    const { manager, storage, logger } = this.#options;
    const staging = manager.stagingDir();
    const started = Date.now();
    try {
      await mkdir(staging, { recursive: true });
      await storage.download(marker, staging);
      await writeFile(path.join(staging, REVISION_FILE), marker.revision);
      const installed = await manager.adopt(staging, marker.name, marker.version);
      logger?.info({ pkg: marker.name, version: marker.version, revision: marker.revision, ms: Date.now() - started }, "materialised from storage");
      return installed;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  #onEvent(event: PackageEvent): Promise<void> {
    // A republish may leave this node's copy an older revision: the next lookup checks.
    if (event.type === "published") {
      this.#changes++;
      this.#found.delete(`${event.name}@${event.version}`);
      this.#broken.delete(`${event.name}@${event.version}`);
      return Promise.resolve();
    }
    return this.#evict(event.name, event.version).catch((err: unknown) => {
      this.#options.logger?.warn({ err, pkg: event.name, version: event.version }, "could not drop a deleted package's local copy");
    });
  }

  /** Forgets name@version here: cache entry, local copy and warm isolates. */
  async #evict(name: string, version: string): Promise<void> {
    this.#changes++;
    this.#found.delete(`${name}@${version}`);
    this.#broken.delete(`${name}@${version}`);
    await this.#removeLocal(name, version);
  }

  async #removeLocal(name: string, version: string): Promise<void> {
    await this.#options.manager.delete(name, version).catch((err: unknown) => {
      if (!(err instanceof RuntimeError && err.code === "PackageNotFound")) throw err;
    });
  }

  #forgetAll(): void {
    this.#changes++;
    this.#found.clear();
  }

  async #dropOrphans(): Promise<void> {
    // Local first: a version materialised after this listing is not judged by an older storage listing.
    const locals = await this.#options.manager.list();
    const inStorage = new Set((await this.#options.storage.list()).map((m) => `${m.name}@${m.version}`));
    for (const local of locals) {
      if (!inStorage.has(`${local.name}@${local.version}`)) await this.#evict(local.name, local.version);
    }
  }
}
