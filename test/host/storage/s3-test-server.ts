// A real S3-protocol server (s3rver) on loopback for tests and benchmarks: a temp
// folder, a port chosen by the OS, and the buckets asked for. Never a mock of the SDK.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import S3rver from "s3rver";

export interface S3TestServer {
  endpoint: string;
  port: number;
  /** The `storage.s3` config section for this server and `bucket`. */
  config(bucket: string): { endpoint: string; region: string; bucket: string; access_key_id: string; secret_access_key: string; force_path_style: boolean };
  close(): Promise<void>;
}

export async function startS3Server(buckets: readonly string[]): Promise<S3TestServer> {
  const directory = await mkdtemp(path.join(tmpdir(), "s3rver-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    // s3rver accepts its documented default credentials.
    config: (bucket) => ({ endpoint, region: "us-east-1", bucket, access_key_id: "S3RVER", secret_access_key: "S3RVER", force_path_style: true }),
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
