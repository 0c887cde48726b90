// The `local_path` storage backend: objects are files under `base_dir`. Each write
// goes to a temp file first and is renamed into place, so a reader never sees a
// half-written object. Several processes on one machine (or on a shared mount) can
// use the same folder.
import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { access, mkdir, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { assertObjectKey, type ObjectStore, type StorageHealth, type StoredObject } from "./object-store.ts";

/** Temp files live apart from the objects, so listings never show them. */
const TMP_DIR = ".tmp";

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

export class LocalStorage implements ObjectStore {
  readonly backend = "local_path" as const;
  readonly #baseDir: string;

  constructor(baseDir: string) {
    this.#baseDir = path.resolve(baseDir);
  }

  get baseDir(): string {
    return this.#baseDir;
  }

  async put(key: string, body: Uint8Array, signal?: AbortSignal): Promise<void> {
    const file = this.#file(key);
    signal?.throwIfAborted();
    const tmpDir = path.join(this.#baseDir, TMP_DIR);
    await mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, randomUUID());
    try {
      await writeFile(tmp, body, { signal });
      for (let attempt = 0; ; attempt++) {
        await mkdir(path.dirname(file), { recursive: true });
        try {
          await rename(tmp, file);
          return;
        } catch (err) {
          // A delete pruned the (empty) parent folder between mkdir and rename.
          if (!isMissing(err) || attempt >= 3) throw err;
        }
      }
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string, signal?: AbortSignal): Promise<Buffer | null> {
    try {
      return await readFile(this.#file(key), { signal });
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === "EISDIR") return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    // Walk only the folder the prefix names, then filter by the full prefix.
    const slash = prefix.lastIndexOf("/");
    const dirKey = slash < 0 ? "" : prefix.slice(0, slash);
    if (dirKey !== "") assertObjectKey(dirKey);
    const found: StoredObject[] = [];
    await this.#walk(dirKey, found);
    return found.filter((object) => object.key.startsWith(prefix));
  }

  async delete(keys: readonly string[]): Promise<void> {
    const parents = new Set<string>();
    for (const key of keys) {
      const file = this.#file(key);
      await unlink(file).catch((err: unknown) => {
        if (!isMissing(err)) throw err;
      });
      parents.add(path.dirname(file));
    }
    // Empty folders would pile up over many versions; a folder still in use stays.
    for (const dir of parents) await this.#pruneEmpty(dir);
  }

  async health(): Promise<StorageHealth> {
    try {
      await mkdir(this.#baseDir, { recursive: true });
      await access(this.#baseDir, constants.R_OK | constants.W_OK);
      return { state: "ok", backend: this.backend, base_dir: "writable" };
    } catch {
      return { state: "down", backend: this.backend, base_dir: "not writable" };
    }
  }

  async close(): Promise<void> {}

  #file(key: string): string {
    assertObjectKey(key);
    return path.join(this.#baseDir, ...key.split("/"));
  }

  async #walk(dirKey: string, found: StoredObject[]): Promise<void> {
    const dir = dirKey === "" ? this.#baseDir : path.join(this.#baseDir, ...dirKey.split("/"));
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const entry of entries) {
      if (dirKey === "" && entry.name === TMP_DIR) continue;
      const key = dirKey === "" ? entry.name : `${dirKey}/${entry.name}`;
      if (entry.isDirectory()) {
        await this.#walk(key, found);
      } else if (entry.isFile()) {
        const info = await stat(path.join(dir, entry.name)).catch(() => null);
        if (info) found.push({ key, etag: `${info.ino}-${info.mtimeMs}-${info.size}`, size: info.size });
      }
    }
  }

  async #pruneEmpty(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.#baseDir + path.sep)) {
      try {
        await rmdir(current);
      } catch {
        return;
      }
      current = path.dirname(current);
    }
  }
}
