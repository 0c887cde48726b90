// A node loads only code it can verify: every built artifact carries a SHA-256 in the
// version's record, authenticated with the deployment's artifact key. Played the way an
// attacker with write access to the folder or the bucket would play it: a code cache
// forged from a different script of the same source length (V8 accepts it and runs the
// other script: CVE-2022-39266), one byte changed in the bundle, a record that is not
// there, and a node with another key. Real runtimes, real isolates, a real S3 server.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRuntime, type Runtime } from "../../../host/app.ts";
import { loadConfig } from "../../../host/config/index.ts";
import { createLogger } from "../../../host/logging/logger.ts";
import { createSandbox } from "../../../sandbox/index.ts";
import { startS3Server, type S3TestServer } from "../storage/s3-test-server.ts";
import { FIXTURES_DIR, zipFolder } from "./zip-fixtures.ts";

const KEY_A = randomBytes(32).toString("hex");
const KEY_B = randomBytes(32).toString("hex");
const ADD = { pkg: "calculator", version: "1.0.0", plugin: "Calculator", tool: "add", input: { a: 2, b: 3 } };

interface Node {
  runtime: Runtime;
  logs: string[];
  call<T = unknown>(operation: string, body?: object): Promise<{ status: number; data: T; error: { code: string; message: string } | null }>;
  health(): Promise<{ status: string; components: Record<string, { state: string; broken?: { name: string; version: string; reason: string }[] }> }>;
  close(): Promise<void>;
}

async function startNode(cwd: string, env: Record<string, string>): Promise<Node> {
  const { config } = loadConfig({ cwd, env: { HIAGENT_SERVER__PORT: "0", HIAGENT_SANDBOX__PROCESSES: "1", ...env } });
  const logs: string[] = [];
  const logger = createLogger({ level: "info", destination: { write: (line: string) => void logs.push(line) } });
  const runtime = await startRuntime(config, { logger });
  return {
    runtime,
    logs,
    async call(operation, body = {}) {
      const response = await fetch(`${runtime.url}/v1/${operation}`, { method: "POST", body: JSON.stringify(body) });
      return { status: response.status, ...((await response.json()) as { data: never; error: { code: string; message: string } | null }) };
    },
    async health() {
      return ((await (await fetch(`${runtime.url}/v1/health`)).json()) as { data: never }).data;
    },
    close: () => runtime.close(),
  };
}

/**
 * The calculator's bundle with `add` answering 1337 instead, padded to the same length:
 * to V8 a code cache of it is a valid cache of the real bundle. The forged tool is a
 * parenthesised function, which V8 compiles eagerly, so its code is in the cache itself.
 */
function forgedBundle(code: string): string {
  const real = '/* @__PURE__ */ __name(({ a, b }) => a + b, "run")';
  const forged = code.replace(real, "(function () { return 1337; })".padEnd(real.length, " "));
  expect(forged).not.toBe(code);
  expect(forged.length).toBe(code.length);
  return forged;
}

/** A code cache of the forged bundle, made by a sandbox started exactly as the node's (same V8 flags). */
async function forgedCache(node: Node, code: string): Promise<Buffer> {
  const sandbox = createSandbox(node.runtime.config.sandbox);
  await sandbox.start();
  try {
    const inspected = await sandbox.inspect({ pkg: "calculator", version: "1.0.0", code: forgedBundle(code) });
    if (inspected.codeCache === null) throw new Error("V8 made no code cache of the forged bundle");
    return inspected.codeCache;
  } finally {
    await sandbox.close();
  }
}

function oneByteChanged(code: Buffer): Buffer {
  const altered = Buffer.from(code);
  const at = altered.indexOf("Adds two numbers");
  altered[at] = "B".charCodeAt(0);
  return altered;
}

async function expectRefused(node: Node, what: RegExp): Promise<void> {
  const ran = await node.call("RunPluginTool", ADD);
  expect(ran.status).toBe(422);
  expect(ran.error).toMatchObject({ code: "InvalidPackage", message: expect.stringMatching(/failed artifact verification.*reinstall it/) });
  expect(ran.error?.message).toMatch(what);
  const listed = await node.call<{ name: string; broken?: string; plugins: unknown[] }[]>("ListPackages");
  expect(listed.data).toEqual([expect.objectContaining({ name: "calculator", broken: expect.stringMatching(what), plugins: [] })]);
  const health = await node.health();
  expect(health.status).not.toBe("ok");
  expect(health.components.packages).toMatchObject({ state: "degraded", broken: [{ name: "calculator", version: "1.0.0", reason: expect.stringMatching(what) }] });
}

describe("artifacts in local storage (extensions/)", () => {
  let dir: string;
  let node: Node | null = null;
  const installedDir = () => path.join(dir, "extensions", "calculator", "1.0.0");

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "artifact-trust-local-"));
    await writeFile(path.join(dir, "calculator.zip"), await zipFolder(path.join(FIXTURES_DIR, "calculator")));
  });
  afterAll(async () => {
    await node?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function freshInstall(env: Record<string, string> = {}): Promise<Node> {
    await node?.close();
    node = await startNode(dir, env);
    const installed = await node.call("InstallPackage", { uri: "file://calculator.zip", filename: "calculator.zip", force: true });
    expect(installed.status).toBe(200);
    return node;
  }

  async function restart(env: Record<string, string> = {}): Promise<Node> {
    await node?.close();
    node = await startNode(dir, env);
    return node;
  }

  it("generates the artifact key on first start (mode 0600) and says where", async () => {
    const first = await freshInstall();
    const keyFile = path.join(dir, "data", "artifact.key");
    expect(first.logs.some((line) => line.includes("generated the artifact key") && line.includes(keyFile))).toBe(true);
    expect((await readFile(keyFile, "utf8")).trim()).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path.join(installedDir(), "artifacts.json"), "utf8"))).toMatchObject({ name: "calculator", version: "1.0.0", files: { "bundle.js": expect.any(String), "bundle.cache": expect.any(String) } });
    expect((await first.call("RunPluginTool", ADD)).data).toBe(5);
  });

  it("throws away a code cache forged from a different script of the same length and rebuilds it: the forged script never runs", async () => {
    const first = await freshInstall({ HIAGENT_PACKAGE__ARTIFACT_KEY: KEY_A });
    const forged = await forgedCache(first, await readFile(path.join(installedDir(), "bundle.js"), "utf8"));
    await first.close();
    node = null;
    await writeFile(path.join(installedDir(), "bundle.cache"), forged);

    const next = await restart({ HIAGENT_PACKAGE__ARTIFACT_KEY: KEY_A });
    expect(await next.call("RunPluginTool", ADD)).toMatchObject({ status: 200, data: 5 });
    expect(await next.call("RunPluginTool", { ...ADD, input: { a: 40, b: 2 } })).toMatchObject({ data: 42 });
    expect(next.logs.some((line) => line.includes("the stored code cache failed verification"))).toBe(true);
    // A tampered cache is not a broken package: the verified bundle serves.
    expect((await next.call<{ broken?: string }[]>("ListPackages")).data[0]?.broken).toBeUndefined();
  });

  it("refuses a bundle with one byte changed: the call fails, ListPackages and health say broken", async () => {
    await freshInstall({ HIAGENT_PACKAGE__ARTIFACT_KEY: KEY_A });
    const bundle = path.join(installedDir(), "bundle.js");
    await writeFile(bundle, oneByteChanged(await readFile(bundle)));
    const next = await restart({ HIAGENT_PACKAGE__ARTIFACT_KEY: KEY_A });
    await expectRefused(next, /bundle\.js does not match its record|bundle\.js is missing or does not match its record/);
  });

  it("refuses a record altered to vouch for an altered bundle (its MAC no longer checks out)", async () => {
    await freshInstall({ HIAGENT_PACKAGE__ARTIFACT_KEY: KEY_A });
    const bundlePath = path.join(installedDir(), "bundle.js");
    const altered = oneByteChanged(await readFile(bundlePath));
    await writeFile(bundlePath, altered);
    const recordPath = path.join(installedDir(), "artifacts.json");
    const record = JSON.parse(await readFile(recordPath, "utf8")) as { files: Record<string, string> };
    record.files["bundle.js"] = createHash("sha256").update(altered).digest("hex");
    await writeFile(recordPath, JSON.stringify(record));
    await expectRefused(await restart({ HIAGENT_PACKAGE__ARTIFACT_KEY: KEY_A }), /not authenticated by this deployment's artifact key/);
  });

  it("refuses an install that has no record (made before artifacts were authenticated) and tells the operator to reinstall", async () => {
    await freshInstall({ HIAGENT_PACKAGE__ARTIFACT_KEY: KEY_A });
    await unlink(path.join(installedDir(), "artifacts.json"));
    const next = await restart({ HIAGENT_PACKAGE__ARTIFACT_KEY: KEY_A });
    await expectRefused(next, /has no artifacts\.json/);
    // Reinstalling is the way out.
    expect((await next.call("InstallPackage", { uri: "file://calculator.zip", filename: "calculator.zip", force: true })).status).toBe(200);
    expect((await next.call("RunPluginTool", ADD)).data).toBe(5);
  });

  it("a node with a different key refuses everything the first one built", async () => {
    await freshInstall({ HIAGENT_PACKAGE__ARTIFACT_KEY: KEY_A });
    await expectRefused(await restart({ HIAGENT_PACKAGE__ARTIFACT_KEY: KEY_B }), /not authenticated by this deployment's artifact key/);
  });
});

describe("artifacts in S3 storage", () => {
  let s3: S3TestServer;
  let client: S3Client;
  let root: string;
  const nodes: Node[] = [];

  /** A node on the bucket with its own (empty) extensions folder, as a new machine would start. */
  async function s3Node(name: string, key: string): Promise<Node> {
    const cwd = path.join(root, name);
    await mkdir(cwd, { recursive: true });
    await writeFile(path.join(cwd, "config.yaml"), JSON.stringify({ storage: { backend: "s3", s3: s3.config("packages") } }));
    const node = await startNode(cwd, { HIAGENT_PACKAGE__ARTIFACT_KEY: key });
    nodes.push(node);
    return node;
  }

  async function storedKey(file: string): Promise<string> {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: "packages", Prefix: "revisions/calculator/1.0.0/" }));
    const found = (listed.Contents ?? []).map((o) => o.Key ?? "").find((k) => k.endsWith(`/${file}`));
    if (found === undefined) throw new Error(`no ${file} in the bucket`);
    return found;
  }

  async function stored(file: string): Promise<Buffer> {
    const got = await client.send(new GetObjectCommand({ Bucket: "packages", Key: await storedKey(file) }));
    return Buffer.from(await got.Body!.transformToByteArray());
  }

  /** Replaces a stored file, and its size in the marker, as someone with write access to the bucket can. */
  async function overwrite(file: string, body: Buffer): Promise<void> {
    await client.send(new PutObjectCommand({ Bucket: "packages", Key: await storedKey(file), Body: body }));
    const markerKey = "markers/calculator/1.0.0/meta.json";
    const got = await client.send(new GetObjectCommand({ Bucket: "packages", Key: markerKey }));
    const marker = JSON.parse(await got.Body!.transformToString()) as { files: { path: string; size: number }[] };
    for (const entry of marker.files) if (entry.path === file) entry.size = body.byteLength;
    await client.send(new PutObjectCommand({ Bucket: "packages", Key: markerKey, Body: JSON.stringify(marker) }));
  }

  beforeAll(async () => {
    s3 = await startS3Server(["packages"]);
    client = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
    root = await mkdtemp(path.join(tmpdir(), "artifact-trust-s3-"));
    const publisher = await s3Node("publisher", KEY_A);
    await writeFile(path.join(root, "publisher", "calculator.zip"), await zipFolder(path.join(FIXTURES_DIR, "calculator")));
    expect((await publisher.call("InstallPackage", { uri: "file://calculator.zip", filename: "calculator.zip" })).status).toBe(200);
    expect((await publisher.call("RunPluginTool", ADD)).data).toBe(5);
  }, 60_000);
  afterAll(async () => {
    for (const node of nodes) await node.close().catch(() => undefined);
    client?.destroy();
    await s3?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("a node with a different key refuses everything the first one published, in listings too", async () => {
    await expectRefused(await s3Node("other-key", KEY_B), /not authenticated by this deployment's artifact key/);
  });

  it("a code cache in the bucket forged from a different script of the same length never runs: a new node rebuilds it", async () => {
    const forged = await forgedCache(nodes[0]!, (await stored("bundle.js")).toString("utf8"));
    const original = await stored("bundle.cache");
    await overwrite("bundle.cache", forged);
    try {
      const node = await s3Node("forged-cache", KEY_A);
      expect(await node.call("RunPluginTool", ADD)).toMatchObject({ status: 200, data: 5 });
      expect(node.logs.some((line) => line.includes("the stored code cache failed verification"))).toBe(true);
    } finally {
      await overwrite("bundle.cache", original);
    }
  });

  it("a bundle in the bucket with one byte changed is refused by a new node: the call fails, ListPackages and health say broken", async () => {
    const original = await stored("bundle.js");
    await overwrite("bundle.js", oneByteChanged(original));
    try {
      const node = await s3Node("altered-bundle", KEY_A);
      await expectRefused(node, /bundle\.js is missing or does not match its record/);
      expect(node.logs.some((line) => line.includes("refused a package version whose artifacts failed verification"))).toBe(true);
    } finally {
      await overwrite("bundle.js", original);
    }
  });
});
