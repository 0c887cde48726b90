// The s3 backend against the storage conformance suite, on a real S3-protocol server
// (s3rver on loopback); plus `s3://bucket/key` install sources read through the client.
import { randomUUID } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3ConfigSchema } from "../../../host/config/config-schema.ts";
import { createS3Client, parseS3Uri, readS3Source } from "../../../host/storage/s3-client.ts";
import { S3Storage } from "../../../host/storage/s3-storage.ts";
import { describePackageStorageConformance } from "./package-storage-conformance.ts";
import { startS3Server, type S3TestServer } from "./s3-test-server.ts";

let server: S3TestServer;
let client: S3Client;

beforeAll(async () => {
  server = await startS3Server(["packages", "drops"]);
  client = createS3Client(S3ConfigSchema.parse(server.config("packages")));
});
afterAll(async () => {
  client?.destroy();
  await server?.close();
});

// Each test its own key prefix in the bucket: a fresh, empty store.
describePackageStorageConformance("s3 (s3rver)", async () => new S3Storage({ client: createS3Client(S3ConfigSchema.parse(server.config("packages"))), bucket: "packages", keyPrefix: randomUUID() }));

describe("S3 storage", () => {
  it("reports a missing bucket as down", async () => {
    const missing = new S3Storage({ client, bucket: "no-such-bucket" });
    expect(await missing.health()).toMatchObject({ state: "down", reachable: false });
  });

  it("reads an s3:// install source through the configured client, with the size cap", async () => {
    await client.send(new PutObjectCommand({ Bucket: "drops", Key: "dir/pkg 1.zip", Body: Buffer.from("zip-bytes") }));
    expect((await readS3Source(client, "s3://drops/dir/pkg%201.zip", 100)).toString()).toBe("zip-bytes");
    await expect(readS3Source(client, "s3://drops/dir/pkg%201.zip", 4)).rejects.toMatchObject({ code: "InvalidPackage" });
    await expect(readS3Source(client, "s3://drops/missing.zip", 100)).rejects.toMatchObject({ code: "DownloadFailed" });
    await expect(readS3Source(client, "s3://no-such-bucket/x.zip", 100)).rejects.toMatchObject({ code: "DownloadFailed" });
  });

  it("parses s3://bucket/key and refuses anything else", () => {
    expect(parseS3Uri("s3://b/a/b%20c.zip")).toEqual({ bucket: "b", key: "a/b c.zip" });
    for (const bad of ["s3://bucket", "s3:///key", "s3://bucket/"]) expect(() => parseS3Uri(bad)).toThrow(/s3:\/\/bucket\/key/);
  });
});
