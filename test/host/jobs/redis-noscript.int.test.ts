// Redis forgets every Lua script when it restarts (or on SCRIPT FLUSH); bee-queue
// runs its scripts by SHA only and would fail with NOSCRIPT for good (SPEC §9.8).
// On a private redis-server: the hazard itself, then the queue and a worker carrying
// on through a flush and through a restart.
import BeeQueue from "bee-queue";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobsConfigSchema } from "../../../host/config/config-schema.ts";
import type { InstallRunner } from "../../../host/jobs/index.ts";
import { presentToBeeQueue, recoverFromNoScript } from "../../../host/jobs/redis-bee-queue.ts";
import { RedisJobQueue } from "../../../host/jobs/redis-job-queue.ts";
import { newNodeId } from "../../../host/jobs/redis-node-heartbeat.ts";
import { InstallWorker } from "../../../host/worker/install-worker.ts";
import { RedisServerProcess } from "./redis-server-process.ts";
import { keysOn, redisConfig, TEST_REDIS_PORT, uniquePrefix } from "./redis-test-env.ts";

let server: RedisServerProcess;

beforeAll(async () => {
  server = await RedisServerProcess.start();
});
afterAll(async () => {
  await server?.stop();
});

const runner: InstallRunner = async (request) => ({ name: "pkg", version: request.uri.replace(/^test:\/\//, ""), uri: request.uri, filename: request.filename });

async function flushScripts(): Promise<void> {
  const admin = new Redis({ host: "127.0.0.1", port: server.port });
  admin.on("error", () => undefined);
  await admin.script("FLUSH");
  admin.disconnect();
}

describe("NOSCRIPT after Redis forgets its scripts", () => {
  it("breaks a plain bee-queue, and not one whose connection re-sends its scripts", async () => {
    const prefix = uniquePrefix("noscript");
    const plain = new BeeQueue("q", { redis: { host: "127.0.0.1", port: server.port }, prefix, isWorker: false, getEvents: false });
    const guardedClient = new Redis({ host: "127.0.0.1", port: server.port });
    guardedClient.on("error", () => undefined);
    presentToBeeQueue(guardedClient);
    recoverFromNoScript(guardedClient);
    const guarded = new BeeQueue("q", { redis: guardedClient as never, prefix, isWorker: false, getEvents: false, quitCommandClient: true });
    await Promise.all([plain.ready(), guarded.ready()]);
    await flushScripts();
    await expect(plain.createJob({}).save()).rejects.toThrow(/NOSCRIPT/);
    expect((await guarded.createJob({}).save()).id).toBeTruthy();
    await plain.close();
    await guarded.close();
    // The job went to this server through our connection, not to a default one.
    expect(await keysOn(server.port, prefix)).toContain(`${prefix}:q:waiting`);
    expect(await keysOn(TEST_REDIS_PORT, prefix)).toEqual([]);
  });

  it("keeps the queue and its worker running through a script flush and a restart", async () => {
    const redis = redisConfig(uniquePrefix("restart"), server.port);
    const jobs = JobsConfigSchema.parse({});
    const worker = await InstallWorker.start({ redis, jobs, runner, nodeId: newNodeId("worker") });
    const queue = await RedisJobQueue.connect({ redis, jobs });
    try {
      const install = async (version: string) => (await queue.wait(await queue.enqueue({ uri: `test://${version}`, filename: "p.zip", force: false }))).status;
      expect(await install("1.0.0")).toBe("finished");
      await flushScripts();
      expect(await install("2.0.0")).toBe("finished");
      // A restart without persistence: every key and script is gone, the connections drop.
      await server.restart(200);
      const deadline = Date.now() + 20_000;
      let status = "";
      while (status !== "finished" && Date.now() < deadline) {
        status = await install("3.0.0").catch((err: unknown) => String(err));
        if (status !== "finished") await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe("finished");
    } finally {
      await worker.close();
      await queue.close();
    }
    expect(await keysOn(server.port, redis.prefix)).toContain(`${redis.prefix}:bq:install:id`);
    expect(await keysOn(TEST_REDIS_PORT, redis.prefix)).toEqual([]);
  }, 60_000);
});
