// A private redis-server on a free loopback port, for tests that stop, restart or
// flush Redis (never done to the machine's shared server). With `persist`, data goes
// to an append-only file in its temp folder and survives a restart.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export async function waitForRedis(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === "PONG") return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not come up`);
    } finally {
      client.disconnect();
    }
    await sleep(50);
  }
}

export class RedisServerProcess {
  readonly port: number;
  readonly dir: string;
  readonly #extraArgs: string[];
  #child: ChildProcess | null = null;

  private constructor(port: number, dir: string, extraArgs: string[]) {
    this.port = port;
    this.dir = dir;
    this.#extraArgs = extraArgs;
  }

  static async start(options: { persist?: boolean; args?: string[] } = {}): Promise<RedisServerProcess> {
    const dir = await mkdtemp(path.join(tmpdir(), "redis-server-"));
    const persistence = options.persist === true ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
    const server = new RedisServerProcess(await freePort(), dir, [...persistence, ...(options.args ?? [])]);
    await server.run();
    return server;
  }

  async run(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--dir", this.dir, ...this.#extraArgs];
    this.#child = spawn("redis-server", args, { stdio: "ignore" });
    await waitForRedis(this.port);
  }

  /** Stops the server the hard way (as a crash would), waiting until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
  }

  async restart(downMs = 0): Promise<void> {
    await this.kill();
    if (downMs > 0) await sleep(downMs);
    await this.run();
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}
