// Redis restarted in the middle of a run (a private redis-server on a free port with
// an append-only file, never the machine's shared one): the worker finishes the
// install that was running, the API reads its status, and new installs work without
// any manual step, although Redis has forgotten every Lua script (NOSCRIPT).
import { afterAll, beforeAll, expect, it } from "vitest";
import { RedisServerProcess } from "../host/jobs/redis-server-process.ts";
import { keysOn, TEST_REDIS_PORT } from "../host/jobs/redis-test-env.ts";
import { TestCluster, until } from "./cluster-harness.ts";
import { writeGreeter, writeSlow } from "./cluster-packages.ts";
import type { NodeProcess } from "./node-process.ts";

let redis: RedisServerProcess;
let cluster: TestCluster;
let api: NodeProcess;
let worker: NodeProcess;

beforeAll(async () => {
  redis = await RedisServerProcess.start({ persist: true });
  cluster = await TestCluster.start("redis-restart", { redisPort: redis.port });
  [api, worker] = await Promise.all([cluster.api("api"), cluster.worker("worker")]);
}, 120_000);
afterAll(async () => {
  await cluster?.close();
  await redis?.stop();
}, 60_000);

interface JobStatus {
  status: string;
  stage?: string;
}

it("recovers from a Redis restart mid-install without manual steps", async () => {
  const before = await writeGreeter(cluster.drops, "greeter_before", "1.0.0");
  expect((await api.call("InstallPackage", { uri: before.uri, filename: "before.zip" })).status).toBe(200);

  const slow = await writeSlow(cluster.drops, "slow_restart", "1.0.0", 3000);
  const { data } = await api.call<{ job_id: string }>("InstallPackageAsync", { uri: slow.uri, filename: "slow.zip" });
  const status = () => api.call<JobStatus>("GetInstallPackageAsyncStatus", { job_id: data.job_id });
  await until(status, (r) => r.data?.stage === "inspect", "the install to reach the inspect stage", 30_000);

  await redis.kill();
  // While Redis is away, queue operations fail fast with QueueUnavailable; tools keep running.
  const during = await status();
  expect(during).toMatchObject({ status: 503, error: { code: "QueueUnavailable" } });
  expect((await api.call("RunPluginTool", { pkg: before.name, version: before.version, plugin: "Greeter", tool: "greet", input: { who: "x" } })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1000));
  await redis.run();

  const final = await until(status, (r) => r.data?.status === "finished", "the interrupted install to finish", 60_000, 200);
  expect(final.status).toBe(200);
  expect(worker.logged("published", (l) => l.pkg === slow.name)).toHaveLength(1);

  // Scripts are gone after the restart: new installs still go through.
  const after = await writeGreeter(cluster.drops, "greeter_after", "1.0.0");
  const installed = await until(() => api.call("InstallPackage", { uri: after.uri, filename: "after.zip" }), (r) => r.status === 200, "an install after the restart", 30_000, 200);
  expect(installed.error).toBeNull();
  expect((await api.call("RunPluginTool", { pkg: after.name, version: after.version, plugin: "Greeter", tool: "greet", input: { who: "y" } })).status).toBe(200);
  const health = await until(() => api.health(), (h) => h.components.queue?.state === "ok", "the queue to report ok", 10_000, 200);
  expect(health.components.queue).toMatchObject({ redis: "ok", workers: 1 });
  // Everything, bee-queue's keys included, lives on the restarted server.
  expect(await keysOn(redis.port, `${cluster.prefix}:bq:install:`)).not.toEqual([]);
  expect(await keysOn(TEST_REDIS_PORT, cluster.prefix)).toEqual([]);
}, 120_000);
