// The package layout over any ObjectStore, identical for every backend:
//   revisions/{name}/{version}/{revision}/{file}   the installed files of one publish
//   archives/{name}/{version}/{revision}.zip       the original zip of that publish
//   markers/{name}/{version}/meta.json             the marker: which revision is live
// A publish uploads a fresh revision, then writes the marker (one atomic object write),
// then removes older revisions. A reader that finds no marker sees no version, and a
// marker only ever names a revision whose files are all uploaded.
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import semver from "semver";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { ObjectStore, StorageHealth } from "./object-store.ts";
import { RevisionGone, StoredMetaSchema, VersionMarkerSchema, type PackageStorage, type PublishRequest, type VersionMarker } from "./package-storage.ts";

const MARKERS = "markers";
const REVISIONS = "revisions";
const ARCHIVES = "archives";
const MARKER_FILE = "meta.json";
/** Parallel object transfers of one publish or download. */
const TRANSFERS = 8;

const NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+-]{0,127}$/;

function assertVersionId(name: string, version: string): void {
  if (!NAME.test(name) || !VERSION.test(version)) throw new RuntimeError("Internal", `not a package version: ${JSON.stringify(`${name}@${version}`)}`);
}

const markerKey = (name: string, version: string) => `${MARKERS}/${name}/${version}/${MARKER_FILE}`;
const revisionsPrefix = (name: string, version: string) => `${REVISIONS}/${name}/${version}/`;
const archivesPrefix = (name: string, version: string) => `${ARCHIVES}/${name}/${version}/`;

/** Sortable by publish order when a fence is known; unique either way. */
function newRevision(fence: number | null | undefined): string {
  const order = fence == null ? Date.now().toString(36) : String(fence).padStart(12, "0");
  return `${order}-${randomUUID().slice(0, 8)}`;
}

/** Relative posix paths of the regular files under `dir`. */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await filesUnder(dir, relative)));
    else if (entry.isFile()) out.push(relative);
  }
  return out;
}

/** Runs `fn` over the items, `limit` at a time; on a failure, starts no more and settles only once every running one has. */
async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  // Callers clean up after a failure (a download's folder): nothing may still be writing then.
  const settled = await Promise.allSettled(lanes);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failure !== undefined) throw failure.reason;
}

export class ObjectPackageStorage implements PackageStorage {
  readonly #store: ObjectStore;
  /** Parsed markers by key and etag, so listing many versions re-reads only changed ones. */
  readonly #markerCache = new Map<string, { etag: string; marker: VersionMarker | null }>();

  constructor(store: ObjectStore) {
    this.#store = store;
  }

  get backend(): string {
    return this.#store.backend;
  }

  get objects(): ObjectStore {
    return this.#store;
  }

  async publish(request: PublishRequest): Promise<VersionMarker> {
    const { name, version, signal } = request;
    assertVersionId(name, version);
    const revision = newRevision(request.fence);
    const base = `${revisionsPrefix(name, version)}${revision}/`;
    const archiveKey = `${archivesPrefix(name, version)}${revision}.zip`;
    const files: VersionMarker["files"] = [];
    try {
      const paths = await filesUnder(request.dir);
      await inParallel(paths, TRANSFERS, async (relative) => {
        signal?.throwIfAborted();
        const body = await readFile(path.join(request.dir, relative));
        await this.#store.put(base + relative, body, signal);
        files.push({ path: relative, size: body.byteLength });
      });
      if (request.archive !== undefined) await this.#store.put(archiveKey, request.archive, signal);
      signal?.throwIfAborted();
      await request.beforeCommit?.();
      const marker: VersionMarker = {
        format: 1,
        name,
        version,
        revision,
        fence: request.fence ?? null,
        job_id: request.jobId ?? null,
        published_at: new Date().toISOString(),
        files: files.sort((a, b) => a.path.localeCompare(b.path)),
        archive: request.archive !== undefined,
        meta: StoredMetaSchema.parse(request.meta),
        ...(request.record === undefined ? {} : { record: request.record }),
      };
      // The commit point: from here on every reader sees this revision, whole.
      await this.#store.put(markerKey(name, version), Buffer.from(JSON.stringify(marker)));
      await this.sweep(name, version).catch(() => 0);
      return marker;
    } catch (err) {
      // A marker write that failed on our side may still have landed: never remove
      // the files a live marker names.
      const live = await this.marker(name, version).catch(() => null);
      if (live?.revision !== revision) await this.#deleteRevision(name, version, revision).catch(() => undefined);
      throw err;
    }
  }

  async marker(name: string, version: string): Promise<VersionMarker | null> {
    assertVersionId(name, version);
    return this.#parseMarker(await this.#store.get(markerKey(name, version)));
  }

  async download(marker: VersionMarker, targetDir: string, signal?: AbortSignal): Promise<void> {
    assertVersionId(marker.name, marker.version);
    const base = `${revisionsPrefix(marker.name, marker.version)}${marker.revision}/`;
    await inParallel(marker.files, TRANSFERS, async (file) => {
      signal?.throwIfAborted();
      const target = path.resolve(targetDir, file.path);
      if (!target.startsWith(path.resolve(targetDir) + path.sep)) throw new RuntimeError("Internal", `stored file ${file.path} escapes its folder`);
      const body = await this.#store.get(base + file.path, signal);
      if (body === null || body.byteLength !== file.size) throw new RevisionGone(marker.name, marker.version, marker.revision);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, body);
    });
  }

  async list(): Promise<VersionMarker[]> {
    const objects = (await this.#store.list(`${MARKERS}/`)).filter((o) => o.key.split("/").length === 4 && o.key.endsWith(`/${MARKER_FILE}`));
    const seen = new Set(objects.map((o) => o.key));
    for (const key of this.#markerCache.keys()) if (!seen.has(key)) this.#markerCache.delete(key);
    const markers: VersionMarker[] = [];
    await inParallel(objects, 16, async (object) => {
      let cached = this.#markerCache.get(object.key);
      if (cached?.etag !== object.etag) {
        cached = { etag: object.etag, marker: this.#parseMarker(await this.#store.get(object.key)) };
        this.#markerCache.set(object.key, cached);
      }
      if (cached.marker !== null) markers.push(cached.marker);
    });
    return markers.sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version));
  }

  async delete(name: string, version: string): Promise<boolean> {
    assertVersionId(name, version);
    const existed = (await this.#store.get(markerKey(name, version))) !== null;
    // Marker first: from this moment no reader finds the version.
    await this.#store.delete([markerKey(name, version)]);
    const leftovers = [...(await this.#store.list(revisionsPrefix(name, version))), ...(await this.#store.list(archivesPrefix(name, version)))];
    await this.#store.delete(leftovers.map((o) => o.key));
    return existed;
  }

  async archive(name: string, version: string): Promise<Buffer | null> {
    const marker = await this.marker(name, version);
    if (marker === null || !marker.archive) return null;
    return this.#store.get(`${archivesPrefix(name, version)}${marker.revision}.zip`);
  }

  async sweep(name: string, version: string): Promise<number> {
    assertVersionId(name, version);
    const live = (await this.marker(name, version))?.revision;
    const stale = [
      ...(await this.#store.list(revisionsPrefix(name, version))).filter((o) => o.key.split("/")[3] !== live),
      ...(await this.#store.list(archivesPrefix(name, version))).filter((o) => o.key.split("/")[3] !== `${live}.zip`),
    ];
    await this.#store.delete(stale.map((o) => o.key));
    return stale.length;
  }

  health(): Promise<StorageHealth> {
    return this.#store.health();
  }

  close(): Promise<void> {
    return this.#store.close();
  }

  async #deleteRevision(name: string, version: string, revision: string): Promise<void> {
    const files = await this.#store.list(`${revisionsPrefix(name, version)}${revision}/`);
    await this.#store.delete([...files.map((o) => o.key), `${archivesPrefix(name, version)}${revision}.zip`]);
  }

  #parseMarker(body: Buffer | null): VersionMarker | null {
    if (body === null) return null;
    try {
      const parsed = VersionMarkerSchema.safeParse(JSON.parse(body.toString("utf8")));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }
}

function compareVersions(a: string, b: string): number {
  return semver.valid(a) && semver.valid(b) ? semver.compare(a, b) : a.localeCompare(b);
}
