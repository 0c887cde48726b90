// Package storage (SPEC §6): where published package versions live for every node.
// A version is its installed files (package.json, bundle.js, bundle.js.map,
// bundle.cache, meta.json, icons) plus the original zip, published all at once:
// readers see a version only once its marker exists, and then see all of it.
import { z } from "zod";
import type { StorageHealth } from "./object-store.ts";

/** The `meta.json` of a version as storage keeps it (the package manager's PackageMeta). */
export const StoredMetaSchema = z.looseObject({ name: z.string(), version: z.string(), plugins: z.array(z.unknown()) });
export type StoredMeta = z.infer<typeof StoredMetaSchema>;

export const VersionMarkerSchema = z.object({
  format: z.literal(1),
  name: z.string(),
  version: z.string(),
  /** Names the set of files this marker publishes; a republish writes a new revision. */
  revision: z.string(),
  /** The fencing token of the lock the publisher held, when it held one. */
  fence: z.number().int().nullable(),
  /** The install job that published it, so a job that runs twice can tell its own work. */
  job_id: z.string().nullable(),
  published_at: z.string(),
  files: z.array(z.object({ path: z.string(), size: z.number().int().min(0) })),
  archive: z.boolean(),
  meta: StoredMetaSchema,
  /**
   * The version's authenticated artifact record as the publisher gave it, so listings can
   * check it without downloading; storage only keeps it (the package layer checks it).
   */
  record: z.unknown().optional(),
});
export type VersionMarker = z.infer<typeof VersionMarkerSchema>;

/** What a publish records as the version's metadata (the package manager's PackageMeta). */
export interface PublishableMeta {
  name: string;
  version: string;
  plugins: readonly unknown[];
}

export interface PublishRequest {
  name: string;
  version: string;
  /** The finished install folder whose files are published. */
  dir: string;
  meta: PublishableMeta;
  /** The artifact record of the files, kept in the marker. */
  record?: unknown;
  /** The original package zip, kept beside the version. */
  archive?: Uint8Array;
  fence?: number | null;
  jobId?: string | null;
  /**
   * Runs after the files are uploaded and right before the marker is written: throws
   * when the publisher may no longer publish (its lock was taken over, its job canceled).
   */
  beforeCommit?: () => Promise<void>;
  signal?: AbortSignal;
}

export interface PackageStorage {
  readonly backend: string;
  /** Uploads the version's files, then writes its marker; nothing is visible before that. */
  publish(request: PublishRequest): Promise<VersionMarker>;
  /** The marker of name@version, or null when that version is not published. */
  marker(name: string, version: string): Promise<VersionMarker | null>;
  /** Writes the files `marker` publishes into `targetDir`. `RevisionGone` if they were replaced meanwhile. */
  download(marker: VersionMarker, targetDir: string, signal?: AbortSignal): Promise<void>;
  /** Every published version, by name then version. */
  list(): Promise<VersionMarker[]>;
  /** Unpublishes name@version (its marker goes first); false when it was not published. */
  delete(name: string, version: string): Promise<boolean>;
  /** The original zip of the published name@version, or null. */
  archive(name: string, version: string): Promise<Buffer | null>;
  /** Removes files of name@version that no marker points to (an interrupted or replaced publish). */
  sweep(name: string, version: string): Promise<number>;
  health(): Promise<StorageHealth>;
  close(): Promise<void>;
}

/** The files of a marker's revision are gone: it was replaced or deleted while being read. */
export class RevisionGone extends Error {
  constructor(name: string, version: string, revision: string) {
    super(`revision ${revision} of ${name}@${version} is no longer in storage`);
    this.name = "RevisionGone";
  }
}
