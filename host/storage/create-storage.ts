// Builds the configured storage backend. The S3 SDK is loaded only when `s3` is
// selected, so the embedded defaults start without it.
import type { Config } from "../config/index.ts";
import { LocalStorage } from "./local-storage.ts";
import { ObjectPackageStorage } from "./object-package-storage.ts";

export interface StorageSetup {
  storage: ObjectPackageStorage;
  /** Reads an `s3://bucket/key` install source through the configured S3 client; absent without S3. */
  readS3Source?: (uri: string, maxBytes: number, signal?: AbortSignal) => Promise<Buffer>;
}

export async function createPackageStorage(config: Config["storage"]): Promise<StorageSetup> {
  if (config.backend === "local_path") {
    return { storage: new ObjectPackageStorage(new LocalStorage(config.local_path.base_dir)) };
  }
  const [{ createS3Client, readS3Source }, { S3Storage }] = await Promise.all([import("./s3-client.ts"), import("./s3-storage.ts")]);
  const client = createS3Client(config.s3);
  return {
    storage: new ObjectPackageStorage(new S3Storage({ client, bucket: config.s3.bucket })),
    readS3Source: (uri, maxBytes, signal) => readS3Source(client, uri, maxBytes, signal),
  };
}
