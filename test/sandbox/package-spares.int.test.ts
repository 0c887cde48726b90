// Package spares: an isolate with a package's bundle already loaded, kept for the
// package's next tenant. What a user sees: that tenant's first call skips the load, and
// it still gets an isolate of its own (no state of another tenant, ever).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IsolateTarget } from "../../sandbox/sandbox-api.ts";
import { SandboxHarness } from "./plugin-fixture.ts";

type Target = Omit<IsolateTarget, "tenant">;

// Module state records which tenants called this isolate, and how many times the
// bundle's top level ran in it.
const STATEFUL = {
  "index.ts": `import { definePlugin, defineTool, z } from "hiagent-plugin-sdk";
const seen: string[] = [];
const g = globalThis as { __loads?: number };
g.__loads = (g.__loads ?? 0) + 1;
export default definePlugin({ name: "S", tools: {
  who: defineTool({ input: z.object({}), run: (_i, ctx) => { seen.push(ctx.tenant); return { seen, loads: g.__loads }; } }),
} });`,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until health says the package's spare is loaded in the (one) sandbox process. */
async function spareReady(h: SandboxHarness, target: Target): Promise<void> {
  const name = `${target.pkg}@${target.version}`;
  for (let i = 0; i < 300; i++) {
    await h.sandbox.refreshStats();
    if (h.sandbox.health().processes.every((p) => p.package_spares.includes(name))) return;
    await sleep(50);
  }
  throw new Error(`no spare of ${name} was made`);
}

describe("package spares", () => {
  const h = new SandboxHarness({ processes: 1, package_spares: 2, max_isolates: 20 });
  let pkg: Target;

  beforeAll(async () => {
    await h.start();
    pkg = await h.install("spared", STATEFUL);
  });
  afterAll(() => h.stop());

  /** The sandbox's cold start line for a tenant's first call. */
  const coldStart = (tenant: string) => h.logs.find((l) => l.msg === "isolate cold start" && l.fields.tenant === tenant)?.fields;

  it("hands a prepared package to its next tenant whole, and a fresh one to the tenant after", async () => {
    h.sandbox.preparePackage(pkg);
    await spareReady(h, pkg);
    expect((await h.call(pkg, "S", "who", {}, { tenant: "a" })).value).toEqual({ seen: ["a"], loads: 1 });
    expect(coldStart("a")).toMatchObject({ package_spare: true, spare: false });
    // The spare is refilled after the cold start; the next tenant gets its own isolate.
    await spareReady(h, pkg);
    expect((await h.call(pkg, "S", "who", {}, { tenant: "b" })).value).toEqual({ seen: ["b"], loads: 1 });
    expect(coldStart("b")).toMatchObject({ package_spare: true });
    expect((await h.call(pkg, "S", "who", {}, { tenant: "a" })).value).toEqual({ seen: ["a", "a"], loads: 1 });
  });

  it("keeps a spare for a package that starts cold twice, without being told", async () => {
    const other = await h.install("spared2", STATEFUL);
    await h.call(other, "S", "who", {}, { tenant: "c" });
    await h.call(other, "S", "who", {}, { tenant: "d" });
    expect(coldStart("c")).toMatchObject({ package_spare: false });
    expect(coldStart("d")).toMatchObject({ package_spare: false });
    await spareReady(h, other);
    expect((await h.call(other, "S", "who", {}, { tenant: "e" })).value).toEqual({ seen: ["e"], loads: 1 });
    expect(coldStart("e")).toMatchObject({ package_spare: true });
  });

  it("does not make a call wait for a spare still being made, and keeps that spare for the next tenant", async () => {
    const fresh = await h.install("spared3", STATEFUL);
    h.sandbox.preparePackage(fresh);
    expect((await h.call(fresh, "S", "who", {}, { tenant: "g" })).value).toEqual({ seen: ["g"], loads: 1 });
    expect(coldStart("g")).toMatchObject({ package_spare: false });
    await spareReady(h, fresh);
    expect((await h.call(fresh, "S", "who", {}, { tenant: "h" })).value).toEqual({ seen: ["h"], loads: 1 });
    expect(coldStart("h")).toMatchObject({ package_spare: true });
  });

  it("drops a package's spare with the package", async () => {
    h.sandbox.preparePackage(pkg);
    await spareReady(h, pkg);
    await h.sandbox.dropPackage(pkg.pkg, pkg.version);
    expect((await h.call(pkg, "S", "who", {}, { tenant: "f" })).value).toEqual({ seen: ["f"], loads: 1 });
    expect(coldStart("f")).toMatchObject({ package_spare: false });
  });
});

describe("package spares turned off", () => {
  const h = new SandboxHarness({ processes: 1, package_spares: 0 });
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it("loads every tenant's isolate on its first call", async () => {
    const pkg = await h.install("unspared", STATEFUL);
    h.sandbox.preparePackage(pkg);
    await sleep(500);
    for (const tenant of ["a", "b", "c"]) {
      expect((await h.call(pkg, "S", "who", {}, { tenant })).value).toEqual({ seen: [tenant], loads: 1 });
      await sleep(300);
    }
    const starts = h.logs.filter((l) => l.msg === "isolate cold start").map((l) => l.fields.package_spare);
    expect(starts).toEqual([false, false, false]);
    await h.sandbox.refreshStats();
    expect(h.sandbox.health().processes[0]!.package_spares).toEqual([]);
  });
});
