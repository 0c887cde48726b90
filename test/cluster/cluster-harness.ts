// A deployment on one machine for the cluster tests: API nodes and workers as real
// processes, sharing one Redis (under a key prefix unique to the run) and one S3
// server (s3rver on loopback). Each process gets its own config file and its own
// `extensions/`; workers share a scratch root, as workers on one host do.
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { deleteKeys, TEST_REDIS_PORT, uniquePrefix } from "../host/jobs/redis-test-env.ts";
import { startS3Server, type S3TestServer } from "../host/storage/s3-test-server.ts";
import { NodeProcess } from "./node-process.ts";

const BUCKET = "packages";

export interface ClusterOptions {
  redisPort?: number;
  /** Deep-merged over every node's config. */
  config?: Record<string, unknown>;
}

export class TestCluster {
  readonly dir: string;
  readonly prefix: string;
  readonly redisPort: number;
  readonly s3: S3TestServer;
  readonly nodes: NodeProcess[] = [];
  readonly #extra: Record<string, unknown>;
  readonly #secretsKey = randomBytes(32).toString("hex");
  #configs = 0;

  private constructor(dir: string, prefix: string, redisPort: number, s3: S3TestServer, extra: Record<string, unknown>) {
    this.dir = dir;
    this.prefix = prefix;
    this.redisPort = redisPort;
    this.s3 = s3;
    this.#extra = extra;
  }

  static async start(label: string, options: ClusterOptions = {}): Promise<TestCluster> {
    const dir = await mkdtemp(path.join(tmpdir(), `cluster-${label}-`));
    const s3 = await startS3Server([BUCKET]);
    return new TestCluster(dir, uniquePrefix(label), options.redisPort ?? TEST_REDIS_PORT, s3, options.config ?? {});
  }

  /** Where packages to install are dropped (the nodes' only `file_roots`). */
  get drops(): string {
    return path.join(this.dir, "drops");
  }

  extensionsOf(name: string): string {
    return path.join(this.dir, "nodes", name, "extensions");
  }

  get workersDir(): string {
    return path.join(this.dir, "workers");
  }

  async configFile(extensionsDir: string): Promise<string> {
    const config = {
      log_level: "info",
      server: { host: "127.0.0.1", port: 0 },
      extensions_dir: extensionsDir,
      sandbox: { processes: 1 },
      redis: { cluster_type: "single", host: "127.0.0.1", port: this.redisPort, prefix: this.prefix },
      storage: { backend: "s3", s3: this.s3.config(BUCKET) },
      package: { file_roots: [this.drops] },
      jobs: { concurrency: 1 },
      // Every node of a deployment shares the secrets key (nodes run from the repo root).
      secrets: { key: this.#secretsKey },
    };
    const file = path.join(this.dir, `config-${++this.#configs}.yaml`);
    // JSON is YAML.
    await writeFile(file, JSON.stringify(merge(config, this.#extra), null, 2));
    return file;
  }

  async api(name: string): Promise<NodeProcess> {
    const node = await NodeProcess.api(name, await this.configFile(this.extensionsOf(name)));
    this.nodes.push(node);
    return node;
  }

  async worker(name: string): Promise<NodeProcess> {
    const node = await NodeProcess.worker(name, await this.configFile(this.workersDir));
    this.nodes.push(node);
    return node;
  }

  /** Keys of the objects in the bucket under `prefix`. */
  async objects(prefix = ""): Promise<string[]> {
    const client = new S3Client({ endpoint: this.s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
      return (listed.Contents ?? []).map((o) => o.Key ?? "").sort();
    } finally {
      client.destroy();
    }
  }

  /** Entries of the dot-folders (staging, trash, locks) of an `extensions/`: leftovers of interrupted work. */
  async leftovers(extensionsDir: string): Promise<string[]> {
    const found: string[] = [];
    for (const folder of [".staging", ".trash", ".locks"]) {
      for (const name of await readdir(path.join(extensionsDir, folder)).catch(() => [] as string[])) found.push(`${folder}/${name}`);
    }
    return found;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop(5000)));
    await this.s3.close();
    await deleteKeys(this.prefix, this.redisPort).catch(() => 0);
    await rm(this.dir, { recursive: true, force: true });
  }
}

function merge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] =
      typeof value === "object" && value !== null && !Array.isArray(value) && typeof current === "object" && current !== null && !Array.isArray(current)
        ? merge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

export async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch((err: unknown) => err as T);
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
