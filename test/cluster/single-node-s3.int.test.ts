// One node with S3 storage and no Redis: installs run on the embedded queue but
// publish to storage, the node materialises from it, and `s3://bucket/key` install
// sources are read through the configured S3 client. Also: a node that starts with a
// stale local copy of a deleted version drops it.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRuntime, type Runtime } from "../../host/app.ts";
import { S3ConfigSchema } from "../../host/config/config-schema.ts";
import { loadConfig } from "../../host/config/index.ts";
import { ObjectPackageStorage } from "../../host/storage/index.ts";
import { createS3Client } from "../../host/storage/s3-client.ts";
import { S3Storage } from "../../host/storage/s3-storage.ts";
import { startS3Server, type S3TestServer } from "../host/storage/s3-test-server.ts";
import { writeGreeter } from "./cluster-packages.ts";

let s3: S3TestServer;
let dir: string;
let runtime: Runtime;

async function start(): Promise<Runtime> {
  await writeFile(path.join(dir, "config.yaml"), JSON.stringify({ storage: { backend: "minio", minio: { ...s3.config("packages"), ak: "S3RVER", sk: "S3RVER", path_style: true } } }));
  const { config } = loadConfig({ cwd: dir, env: { HIAGENT_SERVER__PORT: "0", HIAGENT_LOG_LEVEL: "silent", HIAGENT_SANDBOX__PROCESSES: "1" } });
  return startRuntime(config);
}

async function call<T = unknown>(operation: string, body: object = {}): Promise<{ status: number; data: T; error: { code: string } | null }> {
  const response = await fetch(`${runtime.url}/v1/${operation}`, { method: "POST", body: JSON.stringify(body) });
  const json = (await response.json()) as { data: T; error: { code: string } | null };
  return { status: response.status, ...json };
}

beforeAll(async () => {
  s3 = await startS3Server(["packages", "drops"]);
  dir = await mkdtemp(path.join(tmpdir(), "single-s3-"));
  await mkdir(path.join(dir, "pkgs"));
  runtime = await start();
}, 60_000);
afterAll(async () => {
  await runtime?.close();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("a single node on S3 storage", () => {
  it("installs from an s3:// source, runs, lists and deletes through storage", async () => {
    const pkg = await writeGreeter(path.join(dir, "pkgs"), "greeter_s3", "1.0.0");
    const client = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
    await client.send(new PutObjectCommand({ Bucket: "drops", Key: "uploads/greeter.zip", Body: await readFile(pkg.file) }));
    client.destroy();

    const installed = await call<{ name: string; uri: string }>("InstallPackage", { uri: "s3://drops/uploads/greeter.zip", filename: "greeter.zip" });
    expect(installed).toMatchObject({ status: 200, data: { name: "greeter_s3", uri: "s3://drops/uploads/greeter.zip" } });
    const ran = await call("RunPluginTool", { pkg: "greeter_s3", version: "1.0.0", plugin: "Greeter", tool: "greet", input: { who: "s3", excited: true } });
    expect(ran).toMatchObject({ status: 200, data: { text: "hello s3!", version: "1.0.0" } });
    expect((await call<{ name: string }[]>("ListPackages")).data.map((p) => p.name)).toEqual(["greeter_s3"]);
    expect((await call("InstallPackage", { uri: "s3://drops/uploads/greeter.zip", filename: "again.zip", force: false })).error?.code).toBe("AlreadyInstalled");
    expect((await call("InstallPackage", { uri: "s3://drops/uploads/missing.zip", filename: "m.zip" })).error?.code).toBe("DownloadFailed");

    expect((await call("DeletePackage", { pkg: "greeter_s3", version: "1.0.0" })).status).toBe(200);
    expect((await call("RunPluginTool", { pkg: "greeter_s3", version: "1.0.0", plugin: "Greeter", tool: "greet", input: { who: "x" } })).error?.code).toBe("PackageNotFound");
    expect((await call("DeletePackage", { pkg: "greeter_s3", version: "1.0.0" })).error?.code).toBe("PackageNotFound");
    expect((await readdir(path.join(dir, "extensions"))).filter((n) => !n.startsWith("."))).toEqual([]);
  });

  it("drops a local copy at start when storage no longer has that version", async () => {
    const pkg = await writeGreeter(path.join(dir, "pkgs"), "greeter_stale", "1.0.0");
    expect((await call("InstallPackage", { uri: `file://${pkg.file}`, filename: "stale.zip" })).status).toBe(200);
    expect((await call("RunPluginTool", { pkg: pkg.name, version: "1.0.0", plugin: "Greeter", tool: "greet", input: { who: "x" } })).status).toBe(200);
    await runtime.close();
    // Deleted while this node was down (by another node, say): only storage knows.
    const storage = new ObjectPackageStorage(new S3Storage({ client: createS3Client(S3ConfigSchema.parse(s3.config("packages"))), bucket: "packages" }));
    expect(await storage.delete(pkg.name, "1.0.0")).toBe(true);
    await storage.close();

    runtime = await start();
    expect((await call("RunPluginTool", { pkg: pkg.name, version: "1.0.0", plugin: "Greeter", tool: "greet", input: { who: "x" } })).error?.code).toBe("PackageNotFound");
    const deadline = Date.now() + 5000;
    while ((await readdir(path.join(dir, "extensions"))).includes(pkg.name) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await readdir(path.join(dir, "extensions"))).not.toContain(pkg.name);
  });
});
