// Package zips sent in a request body (POST /v1/UploadPackage), kept as files so the
// install job reads them like any other source: the job's URI is `upload://<uuid>`,
// and the same size cap, zip checks and stages apply as for a file:// or http(s) source.
// The id is a fresh UUID, so an upload URI can name nothing but a file this store wrote.
// Uploads live beside the installed packages (a dot folder the package list skips) and
// are removed once older than the jobs that could still retry them.
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { RuntimeError } from "../../sandbox/errors.ts";

export const UPLOAD_SCHEME = "upload://";
const UPLOAD_URI = /^upload:\/\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export interface UploadStoreOptions {
  dir: string;
  /** Uploads older than this are removed when the next one is saved (`jobs.keep_finished_seconds`). */
  keepMs: number;
}

export class UploadStore {
  readonly dir: string;
  readonly #keepMs: number;

  constructor({ dir, keepMs }: UploadStoreOptions) {
    this.dir = path.resolve(dir);
    this.#keepMs = keepMs;
  }

  /** Keeps the zip and answers with the URI an install job reads it from. */
  async save(zip: Uint8Array): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    await this.#prune();
    const id = randomUUID();
    await writeFile(path.join(this.dir, `${id}.zip`), zip, { mode: 0o600 });
    return UPLOAD_SCHEME + id;
  }

  /** The bytes behind an `upload://` URI; `maxBytes` holds here too. */
  async read(uri: string, maxBytes: number): Promise<Buffer> {
    const id = UPLOAD_URI.exec(uri)?.[1];
    if (id === undefined) throw new RuntimeError("InvalidRequest", `install URI ${JSON.stringify(uri.slice(0, 200))} is not a valid upload:// URI`);
    const file = path.join(this.dir, `${id}.zip`);
    const info = await stat(file).catch(() => null);
    if (info === null || !info.isFile()) throw new RuntimeError("InvalidRequest", `the uploaded package ${uri} is gone (uploads are kept for jobs.keep_finished_seconds)`);
    if (info.size > maxBytes) throw new RuntimeError("InvalidPackage", `package larger than ${maxBytes} bytes (package.max_package_bytes)`);
    return readFile(file);
  }

  async #prune(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const now = Date.now();
    for (const name of names) {
      const file = path.join(this.dir, name);
      const info = await stat(file).catch(() => null);
      if (info !== null && now - info.mtimeMs > this.#keepMs) await rm(file, { force: true });
    }
  }
}
