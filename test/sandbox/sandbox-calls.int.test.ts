// Calls through the real sandbox (child processes, real isolates): results, validation,
// errors, globals, tenancy and logging.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginSource, SandboxHarness } from "./plugin-fixture.ts";

const h = new SandboxHarness({ processes: 2, max_isolates: 8, timeout_ms: 3000 });
let pkg: Awaited<ReturnType<SandboxHarness["install"]>>;

beforeAll(async () => {
  await h.start();
  pkg = await h.install(
    "basic",
    pluginSource(`
      echo: defineTool({ input: z.object({ text: z.string(), n: z.number().int().default(1) }), run: (i) => ({ echoed: i.text.repeat(i.n) }) }),
      asyncEcho: defineTool({ input: z.object({ x: z.number() }), async run(i) { await new Promise((r) => setTimeout(r, 5)); return i.x * 2; } }),
      typed: defineTool({ output: z.object({ ok: z.boolean() }), run: () => ({ ok: "yes" }) }),
      fails: defineTool({ run: () => { throw new PluginError("nope", { data: { why: "because" } }); } }),
      crashes: defineTool({ run: () => { const o = null; return o.x; } }),
      overflow: defineTool({ run: () => { const f = (n) => f(n + 1) + 1; return f(0); } }),
      withCfg: defineTool({ run: (_i, ctx) => ctx.cfg }),
      whoami: defineTool({ run: (i, ctx) => ({ tenant: ctx.tenant, input: i, cfg: ctx.cfg }) }),
      globals: defineTool({ run: () => Object.getOwnPropertyNames(globalThis).sort() }),
      escape: defineTool({ run: () => {
        const g = (function () {}).constructor("return this")();
        return { process: typeof g.process, require: typeof g.require, sab: typeof SharedArrayBuffer, atomics: typeof Atomics, bridge: Object.getOwnPropertyNames(g).filter((k) => k.startsWith("__hb") || k.startsWith("__hiagent")) };
      } }),
      setGlobal: defineTool({ input: z.object({ v: z.string() }), run: (i) => { globalThis.mine = i.v; return null; } }),
      getGlobal: defineTool({ run: () => globalThis.mine ?? null }),
      logs: defineTool({ input: z.object({ n: z.number() }), run: (i, ctx) => { for (let k = 0; k < i.n; k++) console.log("line", k); ctx.log.warn("from ctx"); return i.n; } }),
      web: defineTool({ run: async () => {
        const u = new URL("/a/b?x=1", "https://example.test/p/"); u.searchParams.set("q", "hé llo");
        const bytes = new TextEncoder().encode("héllo");
        const id = crypto.randomUUID();
        return { href: u.href, len: bytes.length, back: new TextDecoder().decode(bytes), b64: btoa("hi"), uuid: /^[0-9a-f-]{36}$/.test(id), clone: structuredClone({ a: [1, { b: 2 }] }) };
      } }),
      bigOutput: defineTool({ run: () => "x".repeat(2 * 1024 * 1024) }),
      resizable: defineTool({ run: () => new ArrayBuffer(8, { maxByteLength: 64 }) }),
      wasm: defineTool({ async run() {
        // (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
        const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,7,1,96,2,127,127,1,127,3,2,1,0,7,7,1,3,97,100,100,0,0,10,9,1,7,0,32,0,32,1,106,11]);
        const { instance } = await WebAssembly.instantiate(bytes);
        const module = await WebAssembly.compile(bytes);
        const again = await WebAssembly.instantiate(module);
        return [instance.exports.add(2, 3), again.exports.add(20, 22)];
      } }),
    `,
    ),
  );
}, 60_000);
afterAll(() => h.stop());

describe("sandbox calls", () => {
  it("runs sync and async tools and applies input defaults", async () => {
    expect((await h.call(pkg, "P", "echo", { text: "ab", n: 2 })).value).toEqual({ echoed: "abab" });
    expect((await h.call(pkg, "P", "echo", { text: "ab" })).value).toEqual({ echoed: "ab" });
    expect((await h.call(pkg, "P", "asyncEcho", { x: 21 })).value).toBe(42);
  });

  it("reports a resource receipt for each call", async () => {
    const { usage } = await h.call(pkg, "P", "asyncEcho", { x: 1 });
    expect(usage.wall_ms).toBeGreaterThan(0);
    expect(usage.heap_peak_bytes).toBeGreaterThan(0);
    expect(usage.fetch_count).toBe(0);
  });

  it("rejects bad input with the issue paths", async () => {
    const f = await h.failure(pkg, "P", "echo", { text: 5 });
    expect(f.code).toBe("InvalidInput");
    expect(f.data).toMatchObject({ issues: [{ path: ["text"] }] });
  });

  it("checks output against the tool's output schema", async () => {
    const f = await h.failure(pkg, "P", "typed");
    expect(f.code).toBe("ToolError");
    expect(f.data).toMatchObject({ issues: [{ path: ["ok"] }] });
  });

  it("turns plugin errors into ToolError with the plugin's message only", async () => {
    const f = await h.failure(pkg, "P", "fails");
    expect(f).toMatchObject({ code: "ToolError", message: "nope" });
    expect(f.data).toMatchObject({ why: "because" });
    const c = await h.failure(pkg, "P", "crashes");
    expect(c.code).toBe("ToolError");
    expect(c.message).toMatch(/TypeError/);
    // The stack points at the author's source, not at the bundle.
    expect(c.data).toMatchObject({ location: expect.stringMatching(/^index\.ts:\d+:\d+$/) });
    expect((c.data as { stack: string }).stack).not.toMatch(/bundle\.js/);
    expect(JSON.stringify(c)).not.toMatch(/\/work|node_modules|isolated-vm/);
  });

  it("survives stack overflow as a ToolError", async () => {
    const f = await h.failure(pkg, "P", "overflow");
    expect(f.code).toBe("ToolError");
    expect(f.message).toMatch(/Maximum call stack/);
    expect((await h.call(pkg, "P", "echo", { text: "ok" })).value).toEqual({ echoed: "ok" });
  });

  it("reports unknown plugins and tools", async () => {
    expect((await h.failure(pkg, "Nope", "echo")).code).toBe("PluginNotFound");
    expect((await h.failure(pkg, "P", "nope")).code).toBe("ToolNotFound");
  });

  it("hands every field of a call to the isolate as it was, whatever characters it holds", async () => {
    // Names shaped like the packing of a call into one string cannot shift another field.
    for (const tool of ["5,1,1;x", "echo;", ";;", "\u0000echo"]) {
      const f = await h.failure(pkg, "P", tool);
      expect(f).toMatchObject({ code: "ToolNotFound", message: `tool ${tool} not found in plugin P` });
    }
    const tenant = "t,9;\u0000é";
    const input = { s: "1,2,3;;\u0000", emoji: "😀" };
    const cfg = { k: ";" };
    expect((await h.call(pkg, "P", "whoami", input, { tenant, cfg })).value).toEqual({ tenant, input, cfg });
  });

  it("shows plugin code exactly the globals of SPEC §4 and nothing of the host", async () => {
    const names = (await h.call(pkg, "P", "globals")).value as string[];
    for (const name of ["fetch", "Request", "Response", "Headers", "URL", "URLSearchParams", "TextEncoder", "TextDecoder", "atob", "btoa", "console", "setTimeout", "clearTimeout", "AbortController", "structuredClone", "crypto", "WebAssembly"]) {
      expect(names).toContain(name);
    }
    for (const name of ["process", "require", "module", "Buffer", "global", "SharedArrayBuffer", "Atomics", "gc", "__hb_op", "__hb_log", "__hb_emit", "__hb_random"]) {
      expect(names).not.toContain(name);
    }
    const esc = (await h.call(pkg, "P", "escape")).value;
    expect(esc).toEqual({ process: "undefined", require: "undefined", sab: "undefined", atomics: "undefined", bridge: [] });
  });

  it("provides working web globals", async () => {
    const v = (await h.call(pkg, "P", "web")).value as Record<string, unknown>;
    expect(v).toMatchObject({ href: "https://example.test/a/b?x=1&q=h%C3%A9+llo", len: 6, back: "héllo", b64: "aGk=", uuid: true, clone: { a: [1, { b: 2 }] } });
  });

  it("validates cfg before run (InvalidConfig) and passes parsed cfg", async () => {
    const target = await h.install("cfgpkg", {
      "index.ts": `import { definePlugin, defineTool, PluginError, z } from "hiagent-plugin-sdk";
export default definePlugin({ name: "C", config: z.object({ api_key: z.string().min(3) }),
  validate(cfg) { if (cfg.api_key === "bad") throw new PluginError("key rejected by upstream"); },
  tools: { t: defineTool({ run: (_i, ctx) => ctx.cfg }) } });`,
    });
    expect((await h.failure(target, "C", "t", {}, { cfg: { api_key: "x" } })).code).toBe("InvalidConfig");
    const missing = await h.failure(target, "C", "t", {}, { cfg: null });
    expect(missing).toMatchObject({ code: "InvalidConfig", data: { issues: [{ path: ["api_key"] }] } });
    expect((await h.call(target, "C", "t", {}, { cfg: { api_key: "good" } })).value).toEqual({ api_key: "good" });
    await expect(h.sandbox.validate({ ...target, tenant: "t1", plugin: "C", cfgJson: JSON.stringify({ api_key: "good" }) })).resolves.toBeUndefined();
    await expect(h.sandbox.validate({ ...target, tenant: "t1", plugin: "C", cfgJson: JSON.stringify({ api_key: "bad" }) })).rejects.toMatchObject({
      code: "PluginInvalidConfig",
      message: "key rejected by upstream",
    });
  });

  it("keeps globals per tenant: state survives between calls of one tenant, never across tenants", async () => {
    await h.call(pkg, "P", "setGlobal", { v: "secret-of-a" }, { tenant: "tenant-a" });
    expect((await h.call(pkg, "P", "getGlobal", {}, { tenant: "tenant-a" })).value).toBe("secret-of-a");
    expect((await h.call(pkg, "P", "getGlobal", {}, { tenant: "tenant-b" })).value).toBeNull();
  });

  it("sends console output to the host log tagged with the call, capped per call", async () => {
    h.logs.length = 0;
    await h.call(pkg, "P", "logs", { n: 150 });
    const plugin = h.logs.filter((l) => l.fields.source === "plugin" && l.fields.tool === "logs");
    expect(plugin.find((l) => l.msg === "line 0")?.fields).toMatchObject({ pkg: "basic", plugin: "P", tool: "logs", tenant: "t1" });
    expect(plugin.filter((l) => l.msg.startsWith("line ")).length).toBe(100);
    expect(plugin.some((l) => /log lines dropped/.test(l.msg))).toBe(true);
  });

  it("caps the size of a result", async () => {
    const h2 = new SandboxHarness({ processes: 1, max_payload_bytes: 1024 * 1024 });
    await h2.start();
    try {
      const t = await h2.install("big", pluginSource(`big: defineTool({ run: () => "x".repeat(2 * 1024 * 1024) }), small: defineTool({ run: () => 1 })`));
      expect((await h2.failure(t, "P", "big")).message).toMatch(/larger than/);
      expect((await h2.call(t, "P", "small")).value).toBe(1);
    } finally {
      await h2.stop();
    }
  });

  it("runs WebAssembly, including the promise APIs", async () => {
    expect((await h.call(pkg, "P", "wasm")).value).toEqual([5, 42]);
  });

  it("hands a resizable ArrayBuffer back only as JSON (SPEC §9.2)", async () => {
    expect((await h.call(pkg, "P", "resizable")).value).toEqual({});
    expect((await h.call(pkg, "P", "echo", { text: "still" })).value).toEqual({ echoed: "still" });
  });
});
