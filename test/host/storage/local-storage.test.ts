// The local_path backend against the storage conformance suite.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { LocalStorage } from "../../../host/storage/index.ts";
import { describePackageStorageConformance } from "./package-storage-conformance.ts";

const roots: string[] = [];

describePackageStorageConformance("local_path", async () => {
  const root = await mkdtemp(path.join(tmpdir(), "local-storage-"));
  roots.push(root);
  return new LocalStorage(path.join(root, "storage"));
});

it("prunes emptied folders and keeps no temp files", async () => {
  const root = await mkdtemp(path.join(tmpdir(), "local-storage-"));
  roots.push(root);
  const store = new LocalStorage(root);
  await store.put("x/y/z.txt", Buffer.from("z"));
  await store.delete(["x/y/z.txt"]);
  expect((await readdir(root)).sort()).toEqual([".tmp"]);
  expect(await readdir(path.join(root, ".tmp"))).toEqual([]);
});

afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});
