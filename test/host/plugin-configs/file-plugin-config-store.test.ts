// The file store passes the conformance suite, writes its file with mode 0600 and
// leaves no temporary file behind, and refuses a damaged file with a clear error.
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FilePluginConfigStore } from "../../../host/plugin-configs/index.ts";
import { describePluginConfigStoreConformance } from "./plugin-config-store-conformance.ts";

describePluginConfigStoreConformance("file", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "plugin-configs-"));
  const file = path.join(dir, "nested", "configs.json");
  return {
    store: new FilePluginConfigStore(file),
    reopen: async () => new FilePluginConfigStore(file),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe("FilePluginConfigStore", () => {
  it("writes the file with mode 0600 and no leftovers", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "plugin-configs-"));
    try {
      const file = path.join(dir, "configs.json");
      const store = new FilePluginConfigStore(file);
      const record = { pkg: "p", plugin: "P", version: "1.0.0", redacted: {}, sealed: { key_id: "k", iv: "", tag: "", data: "" }, updated_at: "x" };
      await store.put("acme", record);
      await store.put("acme", { ...record, plugin: "Q" });
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readdir(dir)).toEqual(["configs.json"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a damaged file is a clear Internal error, and the file is left as it was", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "plugin-configs-"));
    try {
      const file = path.join(dir, "configs.json");
      await writeFile(file, '{"version": 1, "tenants": {"a": "not a map"}}');
      const store = new FilePluginConfigStore(file);
      await expect(store.list("a")).rejects.toMatchObject({ code: "Internal", message: expect.stringContaining("is not a plugin config store") as unknown });
      await expect(store.put("a", { pkg: "p", plugin: "P", version: "1", redacted: {}, sealed: { key_id: "k", iv: "", tag: "", data: "" }, updated_at: "x" })).rejects.toMatchObject({ code: "Internal" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
