// What every quota, usage and channel store must do, memory and Redis alike: exact
// counts under concurrency, windows that reset, post-paid charges, concurrency leases
// that free and expire, usage slots per tenant, channel stacks that roll back once.
import { describe, expect, it } from "vitest";
import type { Assignment } from "../../../host/tenancy/channel-model.ts";
import type { ChannelStore } from "../../../host/tenancy/channel-store.ts";
import type { QuotaStore } from "../../../host/tenancy/quota-store.ts";
import { limitsOf, type Quotas } from "../../../host/tenancy/tenancy-config.ts";
import type { UsageStore } from "../../../host/tenancy/usage-store.ts";

const MINUTE = 60_000;
const HOUR = 3_600_000;
/**
 * The start of an hour (and so of a minute) ahead of the real clock, so windows are easy
 * to reason about and Redis, which expires keys by its own clock, keeps them meanwhile.
 */
const T0 = Math.ceil(Date.now() / HOUR) * HOUR + HOUR;

let seq = 0;
const fresh = (label: string): string => `${label}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;
const limits = (quotas: Quotas) => limitsOf(quotas);
const window = (ms: number) => ({ text: `${ms}ms`, ms });
const none = { cpu_ms: 0, egress_requests: 0, egress_bytes: 0 };

export function quotaStoreConformance(name: string, make: () => QuotaStore): void {
  describe(`${name}: quotas`, () => {
    it("admits exactly the limit of 64 concurrent calls, and tells the rest when the window resets", async () => {
      const store = make();
      const tenant = fresh("burst");
      const l = limits({ calls: { limit: 40, window: window(HOUR) } });
      const now = T0 + 1000;
      const results = await Promise.all(Array.from({ length: 64 }, (_, i) => store.admit({ tenant, limits: l, callId: `c${i}`, now, leaseMs: MINUTE })));
      expect(results.filter((r) => r.admitted)).toHaveLength(40);
      const refused = results.filter((r) => !r.admitted);
      expect(refused).toHaveLength(24);
      for (const r of refused) expect(r).toEqual({ admitted: false, quota: "calls", limit: 40, retryAfterMs: HOUR - 1000 });
    });

    it("starts over when the window resets", async () => {
      const store = make();
      const tenant = fresh("reset");
      const l = limits({ calls: { limit: 2, window: window(MINUTE) } });
      const admit = (now: number, id: string) => store.admit({ tenant, limits: l, callId: id, now, leaseMs: MINUTE });
      expect((await admit(T0 + 10, "a")).admitted).toBe(true);
      expect((await admit(T0 + 20, "b")).admitted).toBe(true);
      expect(await admit(T0 + 30, "c")).toMatchObject({ admitted: false, retryAfterMs: MINUTE - 30 });
      expect((await admit(T0 + MINUTE, "d")).admitted).toBe(true);
      expect((await admit(T0 + MINUTE + 1, "e")).admitted).toBe(true);
      expect((await admit(T0 + MINUTE + 2, "f")).admitted).toBe(false);
    });

    it("never rewinds a window for a node whose clock lags", async () => {
      const store = make();
      const tenant = fresh("lag");
      const l = limits({ calls: { limit: 1, window: window(MINUTE) } });
      expect((await store.admit({ tenant, limits: l, callId: "a", now: T0 + MINUTE + 5, leaseMs: MINUTE })).admitted).toBe(true);
      expect((await store.admit({ tenant, limits: l, callId: "b", now: T0 + MINUTE - 5, leaseMs: MINUTE })).admitted).toBe(false);
    });

    it("charges post-paid quotas after the call: the call that crosses completes, the next is refused", async () => {
      const store = make();
      const tenant = fresh("post");
      const l = limits({ cpu_ms: { limit: 100, window: window(MINUTE) }, egress_bytes: { limit: 1000, window: window(HOUR) } });
      const now = T0 + 5;
      expect((await store.admit({ tenant, limits: l, callId: "a", now, leaseMs: MINUTE })).admitted).toBe(true);
      await store.settle({ tenant, limits: l, callId: "a", now, amounts: { cpu_ms: 60.5, egress_requests: 1, egress_bytes: 10 } });
      expect((await store.admit({ tenant, limits: l, callId: "b", now, leaseMs: MINUTE })).admitted).toBe(true);
      await store.settle({ tenant, limits: l, callId: "b", now, amounts: { cpu_ms: 60.5, egress_requests: 1, egress_bytes: 10 } });
      expect(await store.admit({ tenant, limits: l, callId: "c", now, leaseMs: MINUTE })).toMatchObject({ admitted: false, quota: "cpu_ms", limit: 100 });
      expect((await store.admit({ tenant, limits: l, callId: "d", now: T0 + MINUTE, leaseMs: MINUTE })).admitted).toBe(true);
      await store.settle({ tenant, limits: l, callId: "d", now: T0 + MINUTE, amounts: { cpu_ms: 1, egress_requests: 1, egress_bytes: 2000 } });
      expect(await store.admit({ tenant, limits: l, callId: "e", now: T0 + MINUTE, leaseMs: MINUTE })).toMatchObject({ admitted: false, quota: "egress_bytes" });
    });

    it("holds a concurrency lease per running call: settling frees it, and an unreleased one expires", async () => {
      const store = make();
      const tenant = fresh("conc");
      const l = limits({ concurrent: 2 });
      const now = T0;
      const admit = (id: string, at = now) => store.admit({ tenant, limits: l, callId: id, now: at, leaseMs: 1000 });
      const first = await Promise.all(["a", "b", "c", "d"].map((id) => admit(id)));
      expect(first.filter((r) => r.admitted)).toHaveLength(2);
      expect(first.find((r) => !r.admitted)).toMatchObject({ quota: "concurrent", limit: 2 });
      await store.settle({ tenant, limits: l, callId: "a", now, amounts: none });
      expect((await admit("e")).admitted).toBe(true);
      expect((await admit("f")).admitted).toBe(false);
      expect((await admit("g", now + 1001)).admitted).toBe(true);
    });

    it("keeps tenants apart", async () => {
      const store = make();
      const l = limits({ calls: { limit: 1, window: window(HOUR) } });
      const [a, b] = [fresh("a"), fresh("b")];
      expect((await store.admit({ tenant: a, limits: l, callId: "1", now: T0, leaseMs: MINUTE })).admitted).toBe(true);
      expect((await store.admit({ tenant: b, limits: l, callId: "2", now: T0, leaseMs: MINUTE })).admitted).toBe(true);
      expect((await store.admit({ tenant: a, limits: l, callId: "3", now: T0, leaseMs: MINUTE })).admitted).toBe(false);
    });
  });
}

export function usageStoreConformance(name: string, make: () => UsageStore): void {
  describe(`${name}: usage`, () => {
    it("adds calls into slots per tenant, package version and tool, at every resolution", async () => {
      const store = make();
      const [tenant, other] = [fresh("u"), fresh("u")];
      const key = { pkg: "p", version: "1.0.0", plugin: "P|x", tool: "t" };
      const one = { calls: 1, cpu_ms: 1.25, egress_requests: 2, egress_bytes: 300 };
      await Promise.all([store.record(tenant, key, one, T0 + 100), store.record(tenant, key, one, T0 + 200), store.record(tenant, { ...key, tool: "u" }, one, T0 + 1500)]);
      await store.record(other, key, one, T0 + 100);
      const seconds = await store.read(tenant, 1000, T0, T0 + 2000);
      expect(seconds.map((s) => s.start)).toEqual([T0, T0 + 1000]);
      expect(seconds[0]?.rows).toEqual([{ key, amounts: { calls: 2, cpu_ms: 2.5, egress_requests: 4, egress_bytes: 600 } }]);
      expect(seconds[1]?.rows).toEqual([{ key: { ...key, tool: "u" }, amounts: one }]);
      const minutes = await store.read(tenant, MINUTE, T0, T0 + MINUTE);
      expect(minutes).toHaveLength(1);
      expect(minutes[0]?.rows.reduce((n, r) => n + r.amounts.calls, 0)).toBe(3);
      expect(await store.read(tenant, 1000, T0 + 2000, T0 + 5000)).toEqual([]);
    });
  });
}

const assignment = (id: string, version: string): Assignment => ({
  id,
  versions: [{ version, weight: 100 }],
  pins: {},
  auto_rollback: null,
  watch: [version],
  set_at: new Date(T0).toISOString(),
});

export function channelStoreConformance(name: string, make: () => ChannelStore): void {
  describe(`${name}: channels`, () => {
    it("keeps a stack of assignments per channel; a rollback pops one; the first cannot be rolled back unless it may be unset", async () => {
      const store = make();
      const pkg = fresh("pkg");
      expect(await store.current(pkg, "stable")).toBeNull();
      expect(await store.rollback(pkg, "stable", { mayUnset: false })).toEqual({ kind: "none" });
      await store.set(pkg, "stable", assignment("a1", "1.0.0"));
      await store.set(pkg, "stable", assignment("a2", "2.0.0"));
      await store.set(pkg, "beta", assignment("b1", "3.0.0"));
      expect((await store.current(pkg, "stable"))?.id).toBe("a2");
      expect((await store.list(pkg)).map((s) => [s.channel, s.current.id, s.previous?.id ?? null])).toEqual([
        ["beta", "b1", null],
        ["stable", "a2", "a1"],
      ]);
      expect(await store.rollback(pkg, "stable", { mayUnset: false })).toEqual({ kind: "rolled", current: assignment("a1", "1.0.0") });
      expect(await store.rollback(pkg, "stable", { mayUnset: false })).toEqual({ kind: "first" });
      expect(await store.rollback(pkg, "stable", { mayUnset: true })).toEqual({ kind: "unset" });
      expect(await store.current(pkg, "stable")).toBeNull();
    });

    it("rolls back an expected assignment exactly once, however many ask at once", async () => {
      const store = make();
      const pkg = fresh("pkg");
      await store.set(pkg, "c", assignment("old", "1.0.0"));
      await store.set(pkg, "c", assignment("new", "2.0.0"));
      const results = await Promise.all(Array.from({ length: 8 }, () => store.rollback(pkg, "c", { expectedId: "new", mayUnset: false })));
      expect(results.filter((r) => r.kind === "rolled")).toHaveLength(1);
      expect(results.filter((r) => r.kind === "stale")).toHaveLength(7);
      expect((await store.current(pkg, "c"))?.id).toBe("old");
    });

    it("counts calls and errors of an assignment over a sliding window", async () => {
      const store = make();
      const pkg = fresh("pkg");
      const id = fresh("a");
      const w = 10_000;
      expect(await store.recordOutcome(pkg, "c", id, w, false, T0)).toEqual({ calls: 1, errors: 0 });
      expect(await store.recordOutcome(pkg, "c", id, w, true, T0 + 5000)).toEqual({ calls: 2, errors: 1 });
      expect(await store.recordOutcome(pkg, "c", id, w, true, T0 + 9999)).toEqual({ calls: 3, errors: 2 });
      // Ten seconds on, the first call has left the window.
      expect(await store.recordOutcome(pkg, "c", id, w, false, T0 + 10_000)).toEqual({ calls: 3, errors: 2 });
      expect(await store.recordOutcome(pkg, "c", fresh("other"), w, false, T0)).toEqual({ calls: 1, errors: 0 });
    });
  });
}
