// `redis.cluster_type: sentinel` for real: a master and one sentinel on loopback
// ports; the queue and a worker find the master through the sentinel and run a job.
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { JobsConfigSchema } from "../../../host/config/config-schema.ts";
import type { InstallRunner } from "../../../host/jobs/index.ts";
import { RedisJobQueue } from "../../../host/jobs/redis-job-queue.ts";
import { newNodeId } from "../../../host/jobs/redis-node-heartbeat.ts";
import { InstallWorker } from "../../../host/worker/install-worker.ts";
import { freePort, RedisServerProcess, waitForRedis } from "./redis-server-process.ts";
import { keysOn, redisConfig, uniquePrefix } from "./redis-test-env.ts";

let master: RedisServerProcess;
let sentinel: ChildProcess;
let sentinelPort: number;

beforeAll(async () => {
  master = await RedisServerProcess.start();
  sentinelPort = await freePort();
  const conf = path.join(master.dir, "sentinel.conf");
  await writeFile(conf, [`port ${sentinelPort}`, "bind 127.0.0.1", `dir ${master.dir}`, `sentinel monitor hiagent-master 127.0.0.1 ${master.port} 1`, ""].join("\n"));
  sentinel = spawn("redis-server", [conf, "--sentinel"], { stdio: "ignore" });
  await waitForRedis(sentinelPort);
}, 30_000);
afterAll(async () => {
  if (sentinel?.exitCode === null) {
    const exited = new Promise((resolve) => sentinel.once("exit", resolve));
    sentinel.kill("SIGKILL");
    await exited;
  }
  await master?.stop();
});

it("runs install jobs on the master the sentinel names", async () => {
  const redis = redisConfig(uniquePrefix("sentinel"), sentinelPort, { cluster_type: "sentinel", host: `127.0.0.1:${sentinelPort}`, master_name: "hiagent-master" });
  const jobs = JobsConfigSchema.parse({});
  const runner: InstallRunner = async (request) => ({ name: "pkg", version: "1.0.0", uri: request.uri, filename: request.filename });
  const worker = await InstallWorker.start({ redis, jobs, runner, nodeId: newNodeId("worker") });
  const queue = await RedisJobQueue.connect({ redis, jobs });
  try {
    const id = await queue.enqueue({ uri: "test://pkg", filename: "pkg.zip", force: false });
    expect(await queue.wait(id)).toMatchObject({ status: "finished", data: { name: "pkg" } });
  } finally {
    await worker.close();
    await queue.close();
  }
  expect(await keysOn(master.port, `${redis.prefix}:job:`)).toHaveLength(1);
}, 30_000);
