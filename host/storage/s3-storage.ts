// The `s3` storage backend: objects in one bucket of any S3-compatible server. A
// PutObject is atomic on its own (a reader sees the whole old or the whole new
// object); the package layout above makes a whole version appear at once.
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { assertObjectKey, type ObjectStore, type StorageHealth, type StoredObject } from "./object-store.ts";
import { isS3NotFound } from "./s3-client.ts";

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;
const HEALTH_TIMEOUT_MS = 2000;

export interface S3StorageOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key, so several deployments (or test runs) can share a bucket. */
  keyPrefix?: string;
}

export class S3Storage implements ObjectStore {
  readonly backend = "s3" as const;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor({ client, bucket, keyPrefix = "" }: S3StorageOptions) {
    this.#client = client;
    this.#bucket = bucket;
    this.#prefix = keyPrefix === "" || keyPrefix.endsWith("/") ? keyPrefix : `${keyPrefix}/`;
  }

  get client(): S3Client {
    return this.#client;
  }

  async put(key: string, body: Uint8Array, signal?: AbortSignal): Promise<void> {
    assertObjectKey(key);
    await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key, Body: body, ContentLength: body.byteLength }), { abortSignal: signal });
  }

  async get(key: string, signal?: AbortSignal): Promise<Buffer | null> {
    assertObjectKey(key);
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }), { abortSignal: signal });
      if (response.Body === undefined) return Buffer.alloc(0);
      return Buffer.from(await response.Body.transformToByteArray());
    } catch (err) {
      if (isS3NotFound(err)) return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const found: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix + prefix, ...(token === undefined ? {} : { ContinuationToken: token }) }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        found.push({ key: object.Key.slice(this.#prefix.length), etag: object.ETag ?? `${object.LastModified?.getTime() ?? 0}`, size: object.Size ?? 0 });
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return found;
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      for (const key of batch) assertObjectKey(key);
      const result = await this.#client.send(
        new DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Quiet: true, Objects: batch.map((key) => ({ Key: this.#prefix + key })) } }),
      );
      const failed = (result.Errors ?? []).filter((e) => e.Code !== "NoSuchKey");
      if (failed.length > 0) throw new Error(`S3 refused to delete ${failed.length} objects: ${failed[0]?.Code ?? "?"} ${failed[0]?.Message ?? ""}`);
    }
  }

  async health(): Promise<StorageHealth> {
    const started = Date.now();
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }), { abortSignal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
      return { state: "ok", backend: this.backend, bucket: this.#bucket, reachable: true, latency_ms: Date.now() - started };
    } catch (err) {
      const reason = err instanceof Error ? err.name : "unreachable";
      return { state: "down", backend: this.backend, bucket: this.#bucket, reachable: false, error: reason };
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}
