// SPEC §9.1–9.5: every hazard a plugin can throw at the sandbox, each followed by a
// call that must succeed, in the same real sandbox processes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginSource, SandboxHarness } from "./plugin-fixture.ts";

const h = new SandboxHarness({ processes: 2, max_isolates: 8, timeout_ms: 1500, memory_limit_mb: 64, stream_high_water: 4 });
let pkg: Awaited<ReturnType<SandboxHarness["install"]>>;

beforeAll(async () => {
  await h.start();
  pkg = await h.install(
    "hazards",
    pluginSource(`
      ok: defineTool({ run: () => "ok" }),
      syncLoop: defineTool({ run: () => { for (;;) {} } }),
      promiseLoop: defineTool({ async run() { await new Promise((r) => setTimeout(r, 1)); for (;;) { await null; } } }),
      timerLoop: defineTool({ async run() { return new Promise(() => { const tick = () => setTimeout(tick, 0); tick(); }); } }),
      idleWait: defineTool({ async run() { await new Promise((r) => setTimeout(r, 60_000)); return "late"; } }),
      microtaskLoop: defineTool({ run() { const f = () => queueMicrotask(f); f(); return "never"; } }),
      promiseChain: defineTool({ async run() { const grow = () => Promise.resolve().then(grow); await grow(); } }),
      counter: defineTool({ run: () => globalThis.produced ?? 0 }),
      forever: defineTool({ stream: true, *run() { globalThis.produced = 0; for (;;) { globalThis.produced++; yield globalThis.produced; } } }),
      chunks: defineTool({ stream: true, input: z.object({ n: z.number() }), async *run(i) { for (let k = 0; k < i.n; k++) { await null; yield "c" + k; } } }),
      failsMidStream: defineTool({ stream: true, async *run() { yield "first"; throw new PluginError("broke"); } }),
    `),
  );
}, 60_000);
afterAll(() => h.stop());

async function stillServes(tenant = "t1"): Promise<void> {
  expect((await h.call(pkg, "P", "ok", {}, { tenant })).value).toBe("ok");
}

describe("time limits (SPEC §9.4)", () => {
  it.each(["syncLoop", "promiseLoop", "timerLoop", "idleWait"])("%s ends with ToolTimeout and the next call works", async (tool) => {
    const started = Date.now();
    const f = await h.failure(pkg, "P", tool);
    expect(f.code).toBe("ToolTimeout");
    expect(Date.now() - started).toBeLessThan(5000);
    await stillServes();
  });

  // The isolate never goes back to the event loop: the microtask queue never drains, so
  // nothing but the watchdog (on the sandbox process's own loop) can end the call.
  it("a microtask loop that allocates nothing ends with ToolTimeout within the limit plus a little, and the next call works", async () => {
    const started = Date.now();
    expect((await h.failure(pkg, "P", "microtaskLoop", {}, { tenant: "micro" })).code).toBe("ToolTimeout");
    expect(Date.now() - started).toBeLessThan(1500 + 2500);
    await stillServes("micro");
    await stillServes();
  });

  it("a promise chain that grows without end ends with ToolTimeout or ToolMemoryLimit within the limit plus a little, and the next call works", async () => {
    const started = Date.now();
    expect(["ToolTimeout", "ToolMemoryLimit"]).toContain((await h.failure(pkg, "P", "promiseChain", {}, { tenant: "chain" })).code);
    expect(Date.now() - started).toBeLessThan(1500 + 2500);
    await stillServes("chain");
    await stillServes();
  });

  it("one spinning isolate does not stall another tenant's calls on the same process", async () => {
    // One process, so the spinner and the other tenants share it; a time limit long enough
    // that "not stalled" can be read from the order of events, not from a stopwatch.
    const one = new SandboxHarness({ processes: 1, max_isolates: 8, timeout_ms: 6000, memory_limit_mb: 64 });
    await one.start();
    try {
      const spinPkg = await one.install("spinning", pluginSource(`
        ok: defineTool({ run: () => "ok" }),
        syncLoop: defineTool({ run: () => { for (;;) {} } }),
      `));
      let spinning = true;
      const spin = one.failure(spinPkg, "P", "syncLoop", {}, { tenant: "spinner" }).finally(() => {
        spinning = false;
      });
      await new Promise((r) => setTimeout(r, 100));
      for (const tenant of ["x1", "x2", "x3", "x4"]) {
        expect((await one.call(spinPkg, "P", "ok", {}, { tenant })).value).toBe("ok");
        expect(spinning).toBe(true);
      }
      expect((await spin).code).toBe("ToolTimeout");
    } finally {
      await one.stop();
    }
  }, 60_000);
});

describe("memory limits (SPEC §9.1)", () => {
  // A separate sandbox with a generous time limit, so a slow machine near the heap
  // limit (GC thrashing) still ends in the memory limit rather than the time limit.
  const m = new SandboxHarness({ processes: 1, timeout_ms: 20_000, memory_limit_mb: 64 });
  let mem: Awaited<ReturnType<SandboxHarness["install"]>>;
  beforeAll(async () => {
    await m.start();
    mem = await m.install(
      "bombs",
      pluginSource(`
        ok: defineTool({ run: () => "ok" }),
        arrayBomb: defineTool({ run: () => new Array(1e9).fill(0).length }),
        typedBomb: defineTool({ run: () => { const a = []; for (let i = 0; i < 64; i++) a.push(new Float64Array(16 * 1024 * 1024)); return a.length; } }),
        stringBomb: defineTool({ run: () => { let s = "x"; for (;;) s += s; } }),
        objectBomb: defineTool({ run: () => { const a = []; for (;;) a.push({ i: a.length, s: "y".repeat(64) }); } }),
      `),
    );
  }, 60_000);
  afterAll(() => m.stop());

  it.each(["arrayBomb", "typedBomb", "objectBomb"])("%s ends with ToolMemoryLimit and the host keeps serving", async (tool) => {
    expect((await m.failure(mem, "P", tool)).code).toBe("ToolMemoryLimit");
    expect((await m.call(mem, "P", "ok")).value).toBe("ok");
  });

  it("string doubling ends at V8's string length limit (ToolError) or the memory limit, and the host keeps serving", async () => {
    expect(["ToolMemoryLimit", "ToolError"]).toContain((await m.failure(mem, "P", "stringBomb")).code);
    expect((await m.call(mem, "P", "ok")).value).toBe("ok");
  });

  it("a call in flight on a sandbox process that dies fails, and the next call works", async () => {
    const slow = h.failure(pkg, "P", "idleWait", {}, { tenant: "victim" });
    await new Promise((r) => setTimeout(r, 200));
    for (const pid of h.sandbox.pids()) if (pid) process.kill(pid, "SIGKILL");
    const f = await slow;
    expect(f.code).toBe("Internal");
    expect(f.message).toMatch(/restarted/);
    await stillServes("victim");
  });
});

describe("streams", () => {
  it("relays chunks in order", async () => {
    const s = h.sandbox.streamTool({ ...pkg, tenant: "t1", plugin: "P", tool: "chunks", inputJson: '{"n":5}', cfgJson: "null" });
    const got: unknown[] = [];
    for await (const c of s) got.push(JSON.parse(c));
    expect(got).toEqual(["c0", "c1", "c2", "c3", "c4"]);
    expect((await s.usage).wall_ms).toBeGreaterThan(0);
  });

  it("a failure mid-stream arrives after the chunks before it", async () => {
    const s = h.sandbox.streamTool({ ...pkg, tenant: "t1", plugin: "P", tool: "failsMidStream", inputJson: "{}", cfgJson: "null" });
    const got: unknown[] = [];
    await expect(
      (async () => {
        for await (const c of s) got.push(JSON.parse(c));
      })(),
    ).rejects.toMatchObject({ code: "ToolError", message: "broke" });
    expect(got).toEqual(["first"]);
  });

  it("a slow consumer holds the generator back (bounded buffering), and cancel stops it", async () => {
    const tenant = "streamer";
    const s = h.sandbox.streamTool({ ...pkg, tenant, plugin: "P", tool: "forever", inputJson: "{}", cfgJson: "null" });
    const it = s[Symbol.asyncIterator]();
    expect(JSON.parse((await it.next()).value as string)).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    const produced = (await h.call(pkg, "P", "counter", {}, { tenant })).value as number;
    // high water 4: the generator may be at most a window ahead of the consumer.
    expect(produced).toBeLessThanOrEqual(1 + 4 + 1);
    await it.return?.();
    // The canceled stream still settles its receipt and leaves nothing in flight.
    expect((await s.usage).wall_ms).toBeGreaterThan(0);
    expect(h.sandbox.health().processes.reduce((n, p) => n + p.in_flight, 0)).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    const after = (await h.call(pkg, "P", "counter", {}, { tenant })).value as number;
    await new Promise((r) => setTimeout(r, 200));
    expect((await h.call(pkg, "P", "counter", {}, { tenant })).value).toBe(after);
    await stillServes(tenant);
  });
});

describe("client aborts", () => {
  it("an aborted call frees its slot and the isolate keeps serving", async () => {
    const ac = new AbortController();
    const p = h.call(pkg, "P", "idleWait", {}, { tenant: "aborter", signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(p).rejects.toMatchObject({ message: /canceled/ });
    await stillServes("aborter");
  });
});
