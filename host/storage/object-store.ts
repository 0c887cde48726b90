// What a storage backend is: a flat map of `/`-separated keys to bytes, with listing
// by prefix. The package layout (revisions, markers) is built on top of it once, in
// ObjectPackageStorage, so every backend shows the same atomicity.
import { RuntimeError } from "../../sandbox/errors.ts";

export interface StoredObject {
  key: string;
  /** Changes whenever the object's content does (S3 ETag; mtime and size on disk). */
  etag: string;
  size: number;
}

export interface StorageHealth {
  state: "ok" | "degraded" | "down";
  backend: string;
  [detail: string]: unknown;
}

export interface ObjectStore {
  readonly backend: "local_path" | "s3";
  /** Writes the whole object; a reader sees the old bytes or the new ones, never a part. */
  put(key: string, body: Uint8Array, signal?: AbortSignal): Promise<void>;
  /** The object's bytes, or null when there is no such key. */
  get(key: string, signal?: AbortSignal): Promise<Buffer | null>;
  /** Every object whose key starts with `prefix`, in no particular order. */
  list(prefix: string): Promise<StoredObject[]>;
  /** Removes these keys; keys that do not exist are no error. */
  delete(keys: readonly string[]): Promise<void>;
  health(): Promise<StorageHealth>;
  close(): Promise<void>;
}

/** Keys are built by the runtime, never taken from a client; this guards the local backend's paths anyway. */
export function assertObjectKey(key: string): void {
  const bad = key === "" || key.startsWith("/") || key.includes("\\") || key.includes("\0");
  if (bad || key.split("/").some((segment) => segment === "" || segment === "." || segment === "..")) {
    throw new RuntimeError("Internal", `invalid storage key ${JSON.stringify(key.slice(0, 200))}`);
  }
}
