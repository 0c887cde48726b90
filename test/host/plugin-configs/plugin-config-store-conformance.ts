// The behaviour every plugin-config store must show: records kept per tenant, package
// and plugin, replaced in place, listed in order, deleted once, never seen by another
// tenant, and intact however the names are spelt. A backend's test file calls
// `describePluginConfigStoreConformance` with a factory giving a fresh, empty store.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PluginConfigStore, StoredPluginConfig } from "../../../host/plugin-configs/index.ts";

export interface StoreUnderTest {
  store: PluginConfigStore;
  /** A second store over the same backing data (another process, another node). */
  reopen(): Promise<PluginConfigStore>;
  cleanup(): Promise<void>;
}

function record(pkg: string, plugin: string, tag: string): StoredPluginConfig {
  return {
    pkg,
    plugin,
    version: "1.0.0",
    redacted: { api_key: "[redacted]", tag },
    sealed: { key_id: "k", iv: "aXY=", tag: "dGFn", data: Buffer.from(tag).toString("base64") },
    updated_at: "2026-01-01T00:00:00.000Z",
  };
}

export function describePluginConfigStoreConformance(backend: string, factory: () => Promise<StoreUnderTest>): void {
  describe(`PluginConfigStore conformance: ${backend}`, () => {
    let t: StoreUnderTest;
    beforeEach(async () => {
      t = await factory();
    });
    afterEach(async () => {
      await t.store.close();
      await t.cleanup();
    });

    it("puts, gets, replaces and deletes one record", async () => {
      expect(await t.store.get("acme", "pkg", "Plugin")).toBeNull();
      await t.store.put("acme", record("pkg", "Plugin", "one"));
      expect(await t.store.get("acme", "pkg", "Plugin")).toEqual(record("pkg", "Plugin", "one"));
      await t.store.put("acme", record("pkg", "Plugin", "two"));
      expect(await t.store.get("acme", "pkg", "Plugin")).toEqual(record("pkg", "Plugin", "two"));
      expect(await t.store.list("acme")).toHaveLength(1);
      expect(await t.store.delete("acme", "pkg", "Plugin")).toBe(true);
      expect(await t.store.delete("acme", "pkg", "Plugin")).toBe(false);
      expect(await t.store.get("acme", "pkg", "Plugin")).toBeNull();
      expect(await t.store.list("acme")).toEqual([]);
    });

    it("keeps tenants apart: one tenant's records are invisible to and undeletable by another", async () => {
      await t.store.put("tenant-a", record("pkg", "Plugin", "a"));
      await t.store.put("tenant-b", record("pkg", "Other", "b"));
      expect(await t.store.get("tenant-b", "pkg", "Plugin")).toBeNull();
      expect(await t.store.delete("tenant-b", "pkg", "Plugin")).toBe(false);
      expect((await t.store.list("tenant-a")).map((r) => r.plugin)).toEqual(["Plugin"]);
      expect((await t.store.list("tenant-b")).map((r) => r.plugin)).toEqual(["Other"]);
      expect(await t.store.get("tenant-a", "pkg", "Plugin")).toEqual(record("pkg", "Plugin", "a"));
    });

    it("lists by package then plugin, and names that could run together stay distinct", async () => {
      for (const [pkg, plugin] of [["b", "Z"], ["a", "b:c"], ["a:b", "c"], ["a", "A b"], ["a", "日本"]] as const) {
        await t.store.put("acme", record(pkg, plugin, `${pkg}/${plugin}`));
      }
      const listed = await t.store.list("acme");
      expect(listed.map((r) => `${r.pkg}/${r.plugin}`)).toEqual(["a/A b", "a/b:c", "a/日本", "a:b/c", "b/Z"]);
      expect((await t.store.get("acme", "a", "b:c"))?.redacted.tag).toBe("a/b:c");
      expect((await t.store.get("acme", "a:b", "c"))?.redacted.tag).toBe("a:b/c");
    });

    it("what one store wrote, another over the same data reads", async () => {
      await t.store.put("acme", record("pkg", "Plugin", "shared"));
      await t.store.close();
      const again = await t.reopen();
      try {
        expect(await again.get("acme", "pkg", "Plugin")).toEqual(record("pkg", "Plugin", "shared"));
        expect(await again.delete("acme", "pkg", "Plugin")).toBe(true);
      } finally {
        await again.close();
      }
      t.store = await t.reopen();
      expect(await t.store.get("acme", "pkg", "Plugin")).toBeNull();
    });

    it("concurrent puts of different plugins all land", async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => t.store.put("acme", record("pkg", `P${String(i).padStart(2, "0")}`, String(i)))));
      expect((await t.store.list("acme")).map((r) => r.redacted.tag)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    });
  });
}
