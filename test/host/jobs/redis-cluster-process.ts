// A small Redis Cluster on loopback for tests: three masters on free ports, slots
// assigned by `redis-cli --cluster create`, torn down afterwards.
import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { RedisServerProcess } from "./redis-server-process.ts";

const run = promisify(execFile);

export class RedisClusterProcess {
  readonly servers: RedisServerProcess[];

  private constructor(servers: RedisServerProcess[]) {
    this.servers = servers;
  }

  static async start(masters = 3): Promise<RedisClusterProcess> {
    const servers = await Promise.all(
      Array.from({ length: masters }, () => RedisServerProcess.start({ args: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"] })),
    );
    const cluster = new RedisClusterProcess(servers);
    try {
      await run("redis-cli", ["--cluster", "create", ...servers.map((s) => `127.0.0.1:${s.port}`), "--cluster-replicas", "0", "--cluster-yes"]);
      await cluster.#untilReady();
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** `host` for the redis config: the seeds, "127.0.0.1:p1,127.0.0.1:p2,…". */
  get seeds(): string {
    return this.servers.map((s) => `127.0.0.1:${s.port}`).join(",");
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }

  async #untilReady(): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await Promise.all(this.servers.map(async (s) => (await run("redis-cli", ["-p", String(s.port), "cluster", "info"])).stdout));
      if (states.every((info) => info.includes("cluster_state:ok"))) return;
      if (Date.now() > deadline) throw new Error("the Redis cluster did not become ready");
      await sleep(100);
    }
  }
}
