// Two API nodes and two workers as real processes, sharing one Redis and one S3
// server: a package installed through one node runs on the other, deletes reach
// every node within a second, listings agree, racing installs of one version end
// with one winner, a cancel through one node stops a worker's build, and job status
// outlives an API restart; a plugin config stored through one node serves calls on the
// other.
import { createHmac } from "node:crypto";
import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestCluster, until } from "./cluster-harness.ts";
import { writeGreeter, writeSlow, type PackageFile } from "./cluster-packages.ts";
import type { NodeProcess } from "./node-process.ts";
import { FIXTURES_DIR, zipFolder } from "../host/package/zip-fixtures.ts";

let cluster: TestCluster;
let a: NodeProcess;
let b: NodeProcess;
let w1: NodeProcess;
let w2: NodeProcess;

beforeAll(async () => {
  cluster = await TestCluster.start("multi");
  [a, b, w1, w2] = await Promise.all([cluster.api("api-a"), cluster.api("api-b"), cluster.worker("worker-1"), cluster.worker("worker-2")]);
}, 120_000);
afterAll(async () => {
  await cluster?.close();
}, 60_000);

interface JobStatus {
  status: string;
  stage?: string;
  progress: number;
  reason?: string;
  data?: { name: string; version: string };
}

const greet = (node: NodeProcess, pkg: PackageFile, who = "B") =>
  node.call<{ text: string; version: string }>("RunPluginTool", { pkg: pkg.name, version: pkg.version, plugin: "Greeter", tool: "greet", input: { who } });

const published = (name: string) => [w1, w2].flatMap((w) => w.logged("published", (l) => l.pkg === name));

describe("a deployment of two API nodes and two workers", () => {
  it("runs a package installed through node A on node B, copied from storage with its code cache", async () => {
    const pkg = await writeGreeter(cluster.drops, "greeter_ab", "1.0.0");
    const installed = await a.call<{ name: string; plugins: { name: string }[] }>("InstallPackage", { uri: pkg.uri, filename: "greeter.zip", force: false });
    expect(installed.error).toBeNull();
    expect(installed.data.plugins.map((p) => p.name)).toEqual(["Greeter"]);
    // Built once, by a worker; the API nodes only enqueued.
    expect(published("greeter_ab")).toHaveLength(1);
    expect([...a.logged("install started"), ...b.logged("install started")]).toEqual([]);

    const onB = await greet(b, pkg);
    expect(onB).toMatchObject({ status: 200, data: { text: "hello B", version: "1.0.0" } });
    expect(b.logged("materialised from storage", (l) => l.pkg === "greeter_ab")).toHaveLength(1);
    const copy = path.join(cluster.extensionsOf("api-b"), "greeter_ab", "1.0.0");
    expect((await readdir(copy)).sort()).toEqual(expect.arrayContaining(["bundle.cache", "bundle.js", "bundle.js.map", "meta.json", "package.json"]));
    expect((await stat(path.join(copy, "bundle.cache"))).size).toBeGreaterThan(0);
    // Later calls use the local copy.
    expect((await greet(b, pkg, "again")).data.text).toBe("hello again");
    expect(b.logged("materialised from storage", (l) => l.pkg === "greeter_ab")).toHaveLength(1);
  });

  it("serves a plugin config stored through node A to calls on node B, sealed in the shared Redis", async () => {
    const file = path.join(cluster.drops, "keyed-1.0.0.zip");
    await mkdir(cluster.drops, { recursive: true });
    await writeFile(file, await zipFolder(path.join(FIXTURES_DIR, "keyed")));
    expect((await a.call("InstallPackage", { uri: `file://${file}`, filename: "keyed.zip" })).error).toBeNull();
    const set = await a.call("SetPluginConfig", { pkg: "keyed", plugin: "Keyed", cfg: { api_key: "cluster-key-4242", region: "ap" } });
    expect(set.error).toBeNull();
    const onB = await b.call("RunPluginTool", { pkg: "keyed", version: "1.0.0", plugin: "Keyed", tool: "whoami", input: {} });
    // The plugin never holds the key: it answers with an HMAC the host computed with it.
    const keyMac = createHmac("sha256", "cluster-key-4242").update("whoami").digest("hex");
    expect(onB).toMatchObject({ status: 200, data: { tenant: "default", region: "ap", key_mac: keyMac } });
    expect((await b.call("DeletePluginConfig", { pkg: "keyed", plugin: "Keyed" })).data).toEqual({ deleted: true });
    expect((await a.call("RunPluginTool", { pkg: "keyed", version: "1.0.0", plugin: "Keyed", tool: "whoami", input: {} })).error).toMatchObject({ code: "InvalidConfig" });
  });

  it("agrees on ListPackages, and reads a job's status on any node", async () => {
    const pkg = await writeGreeter(cluster.drops, "greeter_list", "2.0.0");
    const started = await b.call<{ job_id: string }>("InstallPackageAsync", { uri: pkg.uri, filename: "list.zip" });
    const final = await until(
      () => a.call<JobStatus>("GetInstallPackageAsyncStatus", { job_id: started.data.job_id }),
      (r) => r.data?.status === "finished",
      "the job to finish, read on node A",
    );
    expect(final.data).toMatchObject({ progress: 100, data: { name: "greeter_list", version: "2.0.0" } });
    const [listA, listB] = await Promise.all([a.call<{ name: string; version: string }[]>("ListPackages"), b.call<{ name: string; version: string }[]>("ListPackages")]);
    expect(listA.data).toEqual(listB.data);
    expect(listA.data.map((p) => `${p.name}@${p.version}`)).toEqual(expect.arrayContaining(["greeter_ab@1.0.0", "greeter_list@2.0.0"]));
  });

  it("makes the next call on node A PackageNotFound within a second of a delete through node B", async () => {
    const pkg = await writeGreeter(cluster.drops, "greeter_del", "1.0.0");
    expect((await a.call("InstallPackage", { uri: pkg.uri, filename: "del.zip" })).status).toBe(200);
    expect((await greet(a, pkg)).status).toBe(200); // warm on A: materialised, cached, isolate running
    expect((await greet(b, pkg)).status).toBe(200);

    const deletedAt = Date.now();
    expect(await b.call("DeletePackage", { pkg: pkg.name, version: pkg.version })).toMatchObject({ status: 200, error: null });
    const gone = await until(() => greet(a, pkg), (r) => r.error?.code === "PackageNotFound", "A to stop serving the package", 5000, 20);
    const elapsed = Date.now() - deletedAt;
    expect(gone.status).toBe(404);
    expect(elapsed).toBeLessThan(1000);
    expect((await greet(b, pkg)).error?.code).toBe("PackageNotFound");
    // A's materialised copy is gone too, and no node lists it.
    await until(() => readdir(path.join(cluster.extensionsOf("api-a"))), (names) => Array.isArray(names) && !names.includes("greeter_del"), "A's local copy to go");
    for (const node of [a, b]) expect((await node.call<{ name: string }[]>("ListPackages")).data.map((p) => p.name)).not.toContain("greeter_del");
    expect(await cluster.objects("markers/greeter_del/")).toEqual([]);
    expect(await cluster.objects("revisions/greeter_del/")).toEqual([]);
  });

  it("ends two racing installs of one version on two workers with one winner; the other is AlreadyInstalled", async () => {
    const pkg = await writeGreeter(cluster.drops, "greeter_race", "1.0.0");
    const results = await Promise.all([a, b].map((node) => node.call("InstallPackage", { uri: pkg.uri, filename: "race.zip", force: false })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)?.error?.code).toBe("AlreadyInstalled");
    expect(published("greeter_race")).toHaveLength(1);
    const revisions = new Set((await cluster.objects("revisions/greeter_race/1.0.0/")).map((key) => key.split("/")[3]));
    expect(revisions.size).toBe(1);
    // Both workers took one (each runs one install at a time).
    expect([w1, w2].map((w) => w.logged("install started").length).every((n) => n > 0)).toBe(true);
  });

  it("lets two forced installs of one version both succeed, the later one replacing the earlier", async () => {
    const pkg = await writeGreeter(cluster.drops, "greeter_force", "1.0.0");
    const results = await Promise.all([a, b].map((node) => node.call("InstallPackage", { uri: pkg.uri, filename: "force.zip", force: true })));
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(published("greeter_force")).toHaveLength(2);
    const revisions = new Set((await cluster.objects("revisions/greeter_force/1.0.0/")).map((key) => key.split("/")[3]));
    expect(revisions.size).toBe(1);
    expect((await greet(a, pkg)).status).toBe(200);
  });

  it("cancels through node B an install running on a worker for node A, leaving nothing; a retry then finishes it", async () => {
    const pkg = await writeSlow(cluster.drops, "slow_cancel", "1.0.0", 3000);
    const started = await a.call<{ job_id: string }>("InstallPackageAsync", { uri: pkg.uri, filename: "slow.zip" });
    const jobId = started.data.job_id;
    const status = () => b.call<JobStatus>("GetInstallPackageAsyncStatus", { job_id: jobId });
    await until(status, (r) => r.data?.stage === "inspect", "the install to reach the inspect stage");
    expect(await b.call("CancelInstallPackage", { job_id: jobId })).toMatchObject({ status: 200, data: null, error: null });
    expect((await status()).data).toMatchObject({ status: "canceled" });
    expect(await cluster.objects()).not.toContainEqual(expect.stringContaining("/slow_cancel/"));
    const scratch = await readdir(path.join(cluster.workersDir, ".workers"));
    for (const worker of scratch) expect(await cluster.leftovers(path.join(cluster.workersDir, ".workers", worker))).toEqual([]);

    expect((await a.call("RetryInstallPackage", { job_id: jobId })).status).toBe(200);
    const final = await until(status, (r) => r.data?.status === "finished", "the retried install to finish");
    expect(final.data).toMatchObject({ progress: 100, data: { name: "slow_cancel" } });
    expect(published("slow_cancel")).toHaveLength(1);
  });

  it("keeps job status readable across an API node restart", async () => {
    const pkg = await writeGreeter(cluster.drops, "greeter_restart", "1.0.0");
    const started = await a.call<{ job_id: string }>("InstallPackageAsync", { uri: pkg.uri, filename: "restart.zip" });
    await a.stop();
    a = await cluster.api("api-a");
    const final = await until(() => a.call<JobStatus>("GetInstallPackageAsyncStatus", { job_id: started.data.job_id }), (r) => r.data?.status === "finished", "the job, read on the restarted node");
    expect(final.data).toMatchObject({ progress: 100, data: { name: "greeter_restart" } });
    expect((await greet(a, pkg)).status).toBe(200);
    const health = await a.health();
    expect(health.components.queue).toMatchObject({ state: "ok", backend: "redis", redis: "ok", workers: 2 });
    expect(health.components.storage).toMatchObject({ state: "ok", backend: "s3", reachable: true });
    expect(await cluster.leftovers(cluster.extensionsOf("api-a"))).toEqual([]);
  });
});
