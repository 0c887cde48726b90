// A worker killed with SIGKILL in the middle of an install: bee-queue's stall check
// (run by every worker) hands the job to the other worker, which takes over the dead
// worker's package lock (its heartbeat stopped), builds and publishes exactly once;
// neither storage nor any `extensions/` keeps a partial file.
import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { TestCluster, until } from "./cluster-harness.ts";
import { writeSlow } from "./cluster-packages.ts";
import type { NodeProcess } from "./node-process.ts";

let cluster: TestCluster;
let api: NodeProcess;
let workers: NodeProcess[];

beforeAll(async () => {
  cluster = await TestCluster.start("crash");
  [api, ...workers] = await Promise.all([cluster.api("api"), cluster.worker("worker-1"), cluster.worker("worker-2")]);
}, 120_000);
afterAll(async () => {
  await cluster?.close();
}, 60_000);

interface JobStatus {
  status: string;
  stage?: string;
  progress: number;
}

it("completes the install of a worker killed mid-install on the other worker, publishing once", async () => {
  const pkg = await writeSlow(cluster.drops, "slow_crash", "1.0.0", 3000);
  const { data } = await api.call<{ job_id: string }>("InstallPackageAsync", { uri: pkg.uri, filename: "slow.zip" });
  const jobId = data.job_id;
  const status = () => api.call<JobStatus>("GetInstallPackageAsyncStatus", { job_id: jobId });
  await until(status, (r) => r.data?.stage === "inspect", "the install to reach the inspect stage", 30_000);

  const victim = workers.find((w) => w.logged("install started", (l) => l.job_id === jobId).length > 0);
  const survivor = workers.find((w) => w !== victim);
  if (victim === undefined || survivor === undefined) throw new Error("no worker reported the install");
  await victim.kill();

  const final = await until(status, (r) => r.data?.status !== "started" && r.data?.status !== "queued", "the job to end on the other worker", 60_000, 200);
  expect(final.data).toMatchObject({ status: "finished", progress: 100 });
  expect(survivor.logged("install started", (l) => l.job_id === jobId)).toHaveLength(1);
  expect(survivor.logged("published", (l) => l.pkg === pkg.name)).toHaveLength(1);
  expect(victim.logged("published", (l) => l.pkg === pkg.name)).toHaveLength(0);

  // Storage: the marker, one revision's files and its archive; nothing else of the package.
  const objects = await cluster.objects();
  const ofPackage = objects.filter((key) => key.includes(`/${pkg.name}/`));
  const revisions = new Set(ofPackage.filter((key) => key.startsWith("revisions/")).map((key) => key.split("/")[3]));
  expect(revisions.size).toBe(1);
  const [revision] = [...revisions];
  expect(ofPackage.filter((key) => !key.startsWith("revisions/"))).toEqual([`archives/${pkg.name}/1.0.0/${revision}.zip`, `markers/${pkg.name}/1.0.0/meta.json`]);

  // It runs, and no extensions/ keeps anything half-done (the dead worker's scratch is swept).
  expect(await api.call("RunPluginTool", { pkg: pkg.name, version: pkg.version, plugin: "Slow", tool: "spun" })).toMatchObject({ status: 200, data: true });
  expect(await cluster.leftovers(cluster.extensionsOf("api"))).toEqual([]);
  await until(() => readdir(`${cluster.workersDir}/.workers`), (names) => Array.isArray(names) && names.length === 1, "the dead worker's scratch folder to be swept", 45_000, 500);
}, 120_000);
