// The behaviour every storage backend must show (SPEC §6): a package version is
// published whole or not at all, replaced and deleted without a reader ever seeing
// half of it. A backend's test file calls `describePackageStorageConformance` with a
// factory giving a fresh, empty store.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ObjectPackageStorage, RevisionGone, type ObjectStore, type PublishRequest } from "../../../host/storage/index.ts";

export type ObjectStoreFactory = () => Promise<ObjectStore>;

const CODE_CACHE = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256));

/** An installed-package folder as the builder lays it out (binary code cache, a nested icon). */
async function builtFolder(root: string, name: string, version: string, tag: string): Promise<string> {
  const dir = await mkdtemp(path.join(root, "built-"));
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name, version }));
  await writeFile(path.join(dir, "bundle.js"), `module.exports = ${JSON.stringify(tag)};`);
  await writeFile(path.join(dir, "bundle.js.map"), "{}");
  await writeFile(path.join(dir, "bundle.cache"), CODE_CACHE);
  await mkdir(path.join(dir, "assets"));
  await writeFile(path.join(dir, "assets", "icon.svg"), `<svg>${tag}</svg>`);
  await writeFile(path.join(dir, "meta.json"), JSON.stringify(meta(name, version, tag)));
  return dir;
}

function meta(name: string, version: string, tag: string) {
  return { name, version, uri: `file://${name}.zip`, filename: `${name}.zip`, plugins: [{ name: tag, tools: {} }] };
}

async function filesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())) {
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, full).split(path.sep).join("/")] = (await readFile(full)).toString("base64");
  }
  return out;
}

export function describePackageStorageConformance(backend: string, factory: ObjectStoreFactory): void {
  describe(`PackageStorage conformance: ${backend}`, () => {
    let root: string;
    let objects: ObjectStore;
    let storage: ObjectPackageStorage;

    const publish = async (name: string, version: string, tag: string, extra: Partial<PublishRequest> = {}) =>
      storage.publish({ name, version, dir: await builtFolder(root, name, version, tag), meta: meta(name, version, tag), ...extra });
    const keys = async (prefix = "") => (await objects.list(prefix)).map((o) => o.key).sort();

    beforeEach(async () => {
      root = await mkdtemp(path.join(tmpdir(), "storage-"));
      objects = await factory();
      storage = new ObjectPackageStorage(objects);
    });
    afterEach(async () => {
      await objects.close();
      await rm(root, { recursive: true, force: true });
    });

    it("stores, lists, reads and deletes raw objects by key and prefix", async () => {
      await objects.put("a/b/one.txt", Buffer.from("1"));
      await objects.put("a/b/two.bin", CODE_CACHE);
      await objects.put("a/c/three", Buffer.from("3"));
      expect((await objects.get("a/b/two.bin"))?.equals(CODE_CACHE)).toBe(true);
      expect(await objects.get("a/b/missing")).toBeNull();
      expect(await keys("a/b/")).toEqual(["a/b/one.txt", "a/b/two.bin"]);
      expect(await keys("a/")).toHaveLength(3);
      expect((await objects.list("a/b/two")).map((o) => o.size)).toEqual([CODE_CACHE.byteLength]);
      await objects.delete(["a/b/one.txt", "a/b/never-existed"]);
      expect(await keys("a/")).toEqual(["a/b/two.bin", "a/c/three"]);
      for (const bad of ["", "/abs", "a/../b", "a//b", "a\\b", "./a"]) await expect(objects.put(bad, Buffer.from("x"))).rejects.toThrow(/invalid storage key/);
    });

    it("publishes a version whole: marker, listing and the exact files, code cache included", async () => {
      const built = await builtFolder(root, "calc", "1.0.0", "A");
      const marker = await storage.publish({ name: "calc", version: "1.0.0", dir: built, meta: meta("calc", "1.0.0", "A"), fence: 7, jobId: "job-1", archive: Buffer.from("zip bytes") });
      expect(marker).toMatchObject({ name: "calc", version: "1.0.0", fence: 7, job_id: "job-1", archive: true, meta: meta("calc", "1.0.0", "A") });
      expect(marker.files.map((f) => f.path)).toEqual(["assets/icon.svg", "bundle.cache", "bundle.js", "bundle.js.map", "meta.json", "package.json"]);
      expect(await storage.marker("calc", "1.0.0")).toEqual(marker);
      expect(await storage.list()).toEqual([marker]);
      const target = await mkdtemp(path.join(root, "copy-"));
      await storage.download(marker, target);
      expect(await filesOf(target)).toEqual(await filesOf(built));
      expect((await storage.archive("calc", "1.0.0"))?.toString()).toBe("zip bytes");
    });

    it("shows nothing of a version until its marker is written", async () => {
      let seenDuringUpload: unknown[] = [];
      await publish("calc", "1.0.0", "A", {
        beforeCommit: async () => {
          seenDuringUpload = [await storage.marker("calc", "1.0.0"), await storage.list()];
        },
      });
      expect(seenDuringUpload).toEqual([null, []]);
      expect(await storage.marker("calc", "1.0.0")).not.toBeNull();
    });

    it("leaves nothing behind when the fence check before the marker fails", async () => {
      const lost = publish("calc", "1.0.0", "A", { archive: Buffer.from("z"), beforeCommit: async () => Promise.reject(new Error("lost the lock")) });
      await expect(lost).rejects.toThrow("lost the lock");
      expect(await storage.marker("calc", "1.0.0")).toBeNull();
      expect(await keys()).toEqual([]);
    });

    it("leaves nothing behind when the publish is aborted", async () => {
      const controller = new AbortController();
      const aborted = publish("calc", "1.0.0", "A", {
        signal: controller.signal,
        beforeCommit: async () => {
          controller.abort(new Error("canceled"));
          controller.signal.throwIfAborted();
        },
      });
      await expect(aborted).rejects.toThrow("canceled");
      expect(await keys()).toEqual([]);
    });

    it("replaces a version with a new revision and removes the old one's files", async () => {
      const first = await publish("calc", "1.0.0", "A", { archive: Buffer.from("a") });
      const second = await publish("calc", "1.0.0", "B", { archive: Buffer.from("b") });
      expect(second.revision).not.toBe(first.revision);
      expect((await storage.marker("calc", "1.0.0"))?.meta.plugins).toEqual([{ name: "B", tools: {} }]);
      expect((await keys()).filter((k) => k.includes(first.revision))).toEqual([]);
      const target = await mkdtemp(path.join(root, "copy-"));
      await storage.download(second, target);
      expect(await readFile(path.join(target, "bundle.js"), "utf8")).toContain('"B"');
      // A reader still holding the old marker learns its files are gone, and looks again.
      await expect(storage.download(first, await mkdtemp(path.join(root, "stale-")))).rejects.toBeInstanceOf(RevisionGone);
      expect((await storage.archive("calc", "1.0.0"))?.toString()).toBe("b");
    });

    it("deletes a version: marker first, then every file; false when it was not there", async () => {
      await publish("calc", "1.0.0", "A", { archive: Buffer.from("a") });
      await publish("other", "2.0.0", "O");
      expect(await storage.delete("calc", "1.0.0")).toBe(true);
      expect(await storage.marker("calc", "1.0.0")).toBeNull();
      expect((await keys()).filter((k) => k.includes("/calc/"))).toEqual([]);
      expect((await storage.list()).map((m) => m.name)).toEqual(["other"]);
      expect(await storage.delete("calc", "1.0.0")).toBe(false);
      expect(await storage.archive("calc", "1.0.0")).toBeNull();
    });

    it("sweeps the files of an interrupted publish that no marker names", async () => {
      const live = await publish("calc", "1.0.0", "A");
      await objects.put("revisions/calc/1.0.0/crashed-rev/bundle.js", Buffer.from("half"));
      await objects.put("archives/calc/1.0.0/crashed-rev.zip", Buffer.from("half"));
      expect(await storage.sweep("calc", "1.0.0")).toBe(2);
      expect((await keys("revisions/")).every((k) => k.includes(live.revision))).toBe(true);
      expect(await keys("archives/")).toEqual([]);
    });

    it("lists versions by name then semver, skipping unreadable markers", async () => {
      for (const [name, version] of [["zeta", "1.0.0"], ["alpha", "1.10.0"], ["alpha", "1.2.0"], ["alpha", "1.2.0-beta.1"]] as const) {
        await publish(name, version, `${name}-${version}`);
      }
      await objects.put("markers/broken/1.0.0/meta.json", Buffer.from("{not json"));
      const listed = await storage.list();
      expect(listed.map((m) => `${m.name}@${m.version}`)).toEqual(["alpha@1.2.0-beta.1", "alpha@1.2.0", "alpha@1.10.0", "zeta@1.0.0"]);
      // A second listing reads only markers that changed.
      await publish("zeta", "1.0.0", "Z2");
      expect((await storage.list()).find((m) => m.name === "zeta")?.meta.plugins).toEqual([{ name: "Z2", tools: {} }]);
    });

    it("reports itself healthy", async () => {
      expect((await storage.health()).state).toBe("ok");
    });
  });
}
