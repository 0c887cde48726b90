// Atomic publish, replace and remove, and the name@version lock (in process and across processes).
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PackageLock } from "../../../host/package/package-lock.ts";
import { PackagePublisher } from "../../../host/package/package-publisher.ts";

let extensions: string;
let staging: number;

beforeEach(async () => {
  extensions = await mkdtemp(path.join(tmpdir(), "publisher-"));
  staging = 0;
});
afterEach(async () => {
  await rm(extensions, { recursive: true, force: true });
});

/** A finished build folder, as the builder leaves it, holding a marker file. */
async function built(marker: string): Promise<string> {
  const dir = path.join(extensions, ".staging", `build-${staging++}`, "out");
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "meta.json"), JSON.stringify({ marker }));
  return dir;
}

async function marker(name: string, version: string): Promise<string> {
  return (JSON.parse(await readFile(path.join(extensions, name, version, "meta.json"), "utf8")) as { marker: string }).marker;
}

async function entries(dir: string): Promise<string[]> {
  return readdir(path.join(extensions, dir)).catch(() => []);
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid ?? 999_999;
}

describe("PackagePublisher", () => {
  it("renames a build into extensions/{name}/{version}", async () => {
    const publisher = new PackagePublisher(extensions);
    await publisher.publish(await built("one"), "calc", "1.0.0", { force: false });
    expect(await marker("calc", "1.0.0")).toBe("one");
    expect(await publisher.isInstalled("calc", "1.0.0")).toBe(true);
    expect(await entries(".locks")).toEqual([]);
  });

  it("refuses an installed version without force, and replaces it with force", async () => {
    const publisher = new PackagePublisher(extensions);
    await publisher.publish(await built("one"), "calc", "1.0.0", { force: false });
    await expect(publisher.publish(await built("two"), "calc", "1.0.0", { force: false })).rejects.toMatchObject({ code: "AlreadyInstalled" });
    await expect(publisher.assertNotInstalled("calc", "1.0.0")).rejects.toMatchObject({ code: "AlreadyInstalled" });
    await publisher.publish(await built("three"), "calc", "1.0.0", { force: true });
    expect(await marker("calc", "1.0.0")).toBe("three");
    expect(await entries(".trash")).toEqual([]);
  });

  it("lets exactly one of two concurrent publishes of one name@version win", async () => {
    const publisher = new PackagePublisher(extensions);
    const results = await Promise.allSettled([
      publisher.publish(await built("a"), "calc", "1.0.0", { force: false }),
      publisher.publish(await built("b"), "calc", "1.0.0", { force: false }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const loser = results.find((r) => r.status === "rejected");
    expect(loser?.status === "rejected" && loser.reason).toMatchObject({ code: "AlreadyInstalled" });
    expect(["a", "b"]).toContain(await marker("calc", "1.0.0"));
    expect(await entries(".trash")).toEqual([]);
    expect(await entries(".locks")).toEqual([]);
  });

  it("serialises publishers of two separate instances (as two processes would be)", async () => {
    const first = new PackagePublisher(extensions);
    const second = new PackagePublisher(extensions);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, async (_, i) => (i % 2 ? first : second).publish(await built(`m${i}`), "calc", "1.0.0", { force: false })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await readdir(path.join(extensions, "calc"))).toEqual(["1.0.0"]);
  });

  it("removes a version through the trash, and the name folder with its last version", async () => {
    const publisher = new PackagePublisher(extensions);
    await publisher.publish(await built("one"), "calc", "1.0.0", { force: false });
    await publisher.publish(await built("two"), "calc", "2.0.0", { force: false });
    expect(await publisher.remove("calc", "1.0.0")).toBe(true);
    expect(await publisher.remove("calc", "1.0.0")).toBe(false);
    expect(await readdir(path.join(extensions, "calc"))).toEqual(["2.0.0"]);
    expect(await publisher.remove("calc", "2.0.0")).toBe(true);
    expect(await readdir(extensions)).not.toContain("calc");
    expect(await entries(".trash")).toEqual([]);
  });
});

describe("PackagePublisher across processes", () => {
  it("lets one of four processes publishing the same name@version win", async () => {
    const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), "publish-race-worker.ts");
    const startAt = Date.now() + 1_500;
    const outputs = await Promise.all(
      [0, 1, 2, 3].map(
        (i) =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, ["--import", "tsx", worker, extensions, `p${i}`, String(startAt)], { cwd: process.cwd() });
            let out = "";
            child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
            child.once("error", reject);
            child.once("exit", () => resolve(out.trim()));
          }),
      ),
    );
    expect(outputs.sort()).toEqual(["AlreadyInstalled", "AlreadyInstalled", "AlreadyInstalled", "won"]);
    expect(await readdir(path.join(extensions, "calc"))).toEqual(["1.0.0"]);
    expect(await entries(".locks")).toEqual([]);
    expect(await entries(".trash")).toEqual([]);
  }, 20_000);
});

describe("PackageLock", () => {
  it("takes over a lock file left by a dead process", async () => {
    const locks = path.join(extensions, ".locks");
    await mkdir(locks, { recursive: true });
    await writeFile(path.join(locks, "calc@1.0.0.lock"), JSON.stringify({ pid: await deadPid(), host: hostname(), token: "old" }));
    const lock = new PackageLock(locks, { waitMs: 2_000 });
    await expect(lock.withLock("calc", "1.0.0", async () => "ran")).resolves.toBe("ran");
    expect(await readdir(locks)).toEqual([]);
  });

  it("takes over a lock file older than staleMs whoever holds it", async () => {
    const locks = path.join(extensions, ".locks");
    await mkdir(locks, { recursive: true });
    const file = path.join(locks, "calc@1.0.0.lock");
    await writeFile(file, JSON.stringify({ pid: process.pid, host: "another-host", token: "old" }));
    const old = new Date(Date.now() - 120_000);
    await utimes(file, old, old);
    await expect(new PackageLock(locks, { waitMs: 2_000 }).withLock("calc", "1.0.0", async () => "ran")).resolves.toBe("ran");
  });

  it("waits for a live holder, then fails retryably", async () => {
    const locks = path.join(extensions, ".locks");
    await mkdir(locks, { recursive: true });
    await writeFile(path.join(locks, "calc@1.0.0.lock"), JSON.stringify({ pid: process.pid, host: hostname(), token: "held" }));
    const lock = new PackageLock(locks, { waitMs: 200 });
    await expect(lock.withLock("calc", "1.0.0", async () => "ran")).rejects.toMatchObject({ code: "Internal", message: expect.stringMatching(/calc@1.0.0 is busy/) });
  });

  it("runs calls for one key one at a time in this process", async () => {
    const lock = new PackageLock(path.join(extensions, ".locks"));
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        lock.withLock("calc", "1.0.0", async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 5));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });
});
