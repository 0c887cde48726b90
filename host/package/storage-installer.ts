// Installs into package storage instead of `extensions/` (SPEC §6): what a worker
// does for a deployment. The build is the package manager's; around it, the lock of
// name@version is taken as soon as the manifest names it and held to the end, and the
// publish re-checks the lock's fencing token and the job's run right before the
// marker is written, so a stalled or canceled run never publishes.
import { RuntimeError } from "../../sandbox/errors.ts";
import type { PackageStorage, VersionMarker } from "../storage/index.ts";
import type { PackageEvents } from "./package-events.ts";
import type { PackageManager } from "./package-manager.ts";
import type { PackageMeta, PackageSource } from "./package-meta.ts";
import type { StageListener } from "./package-builder.ts";
import { metaOfMarker } from "./stored-package-meta.ts";
import type { VersionLease, VersionLocks } from "./version-locks.ts";

export interface StorageInstallerLogger {
  info(obj: object, message: string): void;
  warn(obj: object, message: string): void;
}

export interface StorageInstallerOptions {
  manager: PackageManager;
  storage: PackageStorage;
  locks: VersionLocks;
  /** Tells other nodes a version was published again (their copies may be older). */
  events?: PackageEvents;
  logger?: StorageInstallerLogger;
}

export interface StorageInstallOptions {
  force?: boolean;
  signal?: AbortSignal;
  onStage?: StageListener;
  /** The install job; kept in the marker, so a job delivered twice knows its own publish. */
  jobId?: string;
  /** Throws when this run may no longer publish (its job was canceled or taken over). */
  assertCurrent?: () => Promise<void>;
}

/** The job already published this version in an earlier run: nothing left to do. */
class PublishedEarlier extends Error {
  constructor(readonly marker: VersionMarker) {
    super("published by an earlier run of the same job");
  }
}

export class StorageInstaller {
  readonly #options: StorageInstallerOptions;

  constructor(options: StorageInstallerOptions) {
    this.#options = options;
  }

  async install(source: PackageSource, options: StorageInstallOptions = {}): Promise<PackageMeta> {
    const { manager, storage, locks, events, logger } = this.#options;
    const force = options.force ?? false;
    let lease: VersionLease | null = null;
    try {
      return await manager.build(source, {
        signal: options.signal,
        onStage: options.onStage,
        onManifest: async ({ name, version }) => {
          lease = await locks.acquire(name, version, options.signal);
          const current = await storage.marker(name, version);
          if (current !== null && options.jobId !== undefined && current.job_id === options.jobId) throw new PublishedEarlier(current);
          if (current !== null && !force) {
            throw new RuntimeError("AlreadyInstalled", `package ${name}@${version} is already installed (install with force to replace it)`);
          }
        },
        publish: async ({ dir, manifest, meta, record }, zip) => {
          const held = lease;
          if (held === null) throw new RuntimeError("Internal", "publishing without the package lock");
          const marker = await storage.publish({
            name: manifest.name,
            version: manifest.version,
            dir,
            meta,
            record,
            archive: zip,
            fence: held.fence,
            jobId: options.jobId ?? null,
            signal: options.signal,
            beforeCommit: async () => {
              await held.assertHeld();
              await options.assertCurrent?.();
            },
          });
          logger?.info({ pkg: marker.name, version: marker.version, revision: marker.revision, fence: marker.fence, job_id: marker.job_id }, "published");
          await events?.send({ type: "published", name: marker.name, version: marker.version, revision: marker.revision }).catch((err: unknown) => {
            logger?.warn({ err, pkg: marker.name, version: marker.version }, "could not announce the publish");
          });
        },
      });
    } catch (err) {
      if (err instanceof PublishedEarlier) {
        const meta = metaOfMarker(err.marker);
        if (meta !== null) return meta;
      }
      throw err;
    } finally {
      await (lease as VersionLease | null)?.release();
    }
  }
}
