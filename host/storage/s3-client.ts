// The S3 client built from `storage.s3` (any S3-compatible server: AWS, MinIO, …), and
// reading an `s3://bucket/key` install source through it with a size cap.
import { Agent } from "node:https";
import { GetObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import type { z } from "zod";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { S3ConfigSchema } from "../config/config-schema.ts";

export type S3Config = z.output<typeof S3ConfigSchema>;

export function createS3Client(config: S3Config): S3Client {
  return new S3Client({
    region: config.region,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    forcePathStyle: config.force_path_style,
    ...(config.access_key_id === "" ? {} : { credentials: { accessKeyId: config.access_key_id, secretAccessKey: config.secret_access_key } }),
    // Checksums only where S3 requires them: many S3-compatible servers reject the
    // newer trailing-checksum uploads.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    ...(config.verify_tls ? {} : { requestHandler: { httpsAgent: new Agent({ rejectUnauthorized: false }) } }),
    maxAttempts: 3,
  });
}

/** Bucket and key of `s3://bucket/key`. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/?#]+)\/([^?#]+)$/i.exec(uri);
  const bucket = match?.[1];
  const rawKey = match?.[2];
  if (bucket === undefined || rawKey === undefined) throw new RuntimeError("InvalidRequest", `install URI ${uri} is not s3://bucket/key`);
  try {
    return { bucket, key: decodeURIComponent(rawKey) };
  } catch {
    throw new RuntimeError("InvalidRequest", `install URI ${uri} is not s3://bucket/key`);
  }
}

export function isS3NotFound(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.name === "NoSuchKey" || err.name === "NotFound" || err.$metadata.httpStatusCode === 404;
}

/** The bytes of an `s3://` install source, refused beyond `maxBytes` (counted while reading). */
export async function readS3Source(client: S3Client, uri: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  const { bucket, key } = parseS3Uri(uri);
  const tooLarge = () => new RuntimeError("InvalidPackage", `package larger than ${maxBytes} bytes (package.max_package_bytes)`);
  let response;
  try {
    response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  } catch (err) {
    signal?.throwIfAborted();
    const reason = isS3NotFound(err) ? "no such object" : err instanceof Error ? err.message : String(err);
    throw new RuntimeError("DownloadFailed", `cannot fetch ${uri}: ${reason}`, { cause: err });
  }
  if ((response.ContentLength ?? 0) > maxBytes) throw tooLarge();
  const body = response.Body as AsyncIterable<Uint8Array> | undefined;
  if (body === undefined) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body) {
      total += chunk.byteLength;
      if (total > maxBytes) throw tooLarge();
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    signal?.throwIfAborted();
    throw new RuntimeError("DownloadFailed", `cannot fetch ${uri}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    // Stop a body we gave up on, so its socket goes back to the pool.
    if (total > maxBytes) (body as { destroy?: () => void }).destroy?.();
  }
  return Buffer.concat(chunks, total);
}
