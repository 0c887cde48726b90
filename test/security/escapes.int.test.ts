// Escapes (SPEC §4): plugin code, installed as a real package through the API of a
// running server, tries every known way out of its isolate — host globals, a walk of
// everything reachable, Function-constructor tricks, structured stack frames, the
// objects the fetch bridge hands back, prototype pollution and patched promises — and
// after each, another tenant, the host and a clean calculator call are unaffected.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLUGIN, pluginZip, zipName, type PluginPackageSpec } from "./hostile-packages.ts";
import { WALK_SOURCE } from "./isolate-walk.ts";
import { RSS_HEADROOM_BYTES, startSecurityServer, type Caller, type SecurityServer } from "./security-server.ts";
import { startCountingUpstream, type CountingUpstream } from "./upstreams.ts";

let server: SecurityServer;
let upstream: CountingUpstream;
let victim: CountingUpstream;
let rssBefore = 0;

const ESCAPES: PluginPackageSpec = {
  name: "sec_escapes",
  top: `import * as sdkModule from "hiagent-plugin-sdk";\nimport * as zodModule from "zod";\n${WALK_SOURCE}`,
  tools: `
    globals: defineTool({ run: () => ({
      process: typeof globalThis.process, require: typeof globalThis.require, module: typeof globalThis.module,
      Buffer: typeof globalThis.Buffer, global: typeof globalThis.global, setImmediate: typeof globalThis.setImmediate,
      indirectEvalRequire: (0, eval)("typeof require"), functionProcess: new Function("return typeof process")(),
      SharedArrayBuffer: typeof globalThis.SharedArrayBuffer, Atomics: typeof globalThis.Atomics,
      bridgeNames: Object.getOwnPropertyNames(globalThis).filter((n) => /^__hb|ivm|isolated/i.test(n)),
    }) }),
    bundleRequire: defineTool({ run() {
      const out = {};
      for (const name of ["fs", "child_process", "node:net", "module", "process", "isolated-vm", "../../host/app.ts"]) {
        try { const m = require(name); out[name] = typeof m; } catch (e) { out[name] = "refused"; }
      }
      return out;
    } }),
    walk: defineTool({ input: z.object({ url: z.string(), denied: z.string() }), async run({ url, denied }, ctx) {
      const pending = ctx.fetch(url);
      const response = await pending;
      const viaGlobal = await fetch(url, { headers: { "x-probe": "1" } });
      let refusal = null;
      try { await ctx.fetch(denied); } catch (e) { refusal = e; }
      const roots = [["globalThis", globalThis], ["sdk", sdkModule], ["zod", zodModule], ["ctx", ctx], ["fetchPromise", pending],
        ["response", response], ["headers", response.headers], ["body", response.body], ["globalResponse", viaGlobal], ["refusal", refusal]];
      const report = walkReachable(roots, 500000);
      await response.text();
      await viaGlobal.text();
      return { ...report, refusalCode: refusal && refusal.code };
    } }),
    constructors: defineTool({ async run(_input, ctx) {
      const attempts = {
        functionCtor: () => (() => {}).constructor.constructor("return this")() === globalThis ? "own global" : "other",
        viaCtx: () => ctx.constructor.constructor("return process")(),
        viaLog: () => ctx.log.info.constructor("return process")(),
        viaFetch: () => ctx.fetch.constructor("return process")(),
        viaSignal: () => ctx.signal.constructor.constructor("return require")(),
        viaAsync: () => (async () => {}).constructor("return process")(),
        viaGenerator: () => (function* () {}).constructor("return process")().next().value,
      };
      const out = {};
      for (const [name, attempt] of Object.entries(attempts)) {
        try { const v = await attempt(); out[name] = typeof v === "string" ? v : typeof v; } catch (e) { out[name] = e.name + ": " + e.message; }
      }
      return out;
    } }),
    frames: defineTool({ input: z.object({ denied: z.string() }), async run({ denied }, ctx) {
      const frames = [];
      Error.prepareStackTrace = (err, callSites) => {
        for (const site of callSites) {
          let thisCtor = null;
          try { const t = site.getThis(); thisCtor = t && t.constructor ? t.constructor.name : typeof t; } catch { thisCtor = "?"; }
          let fn = null;
          try { const f = site.getFunction(); fn = f ? Function.prototype.toString.call(f).slice(0, 40) : null; } catch { fn = "?"; }
          frames.push({ file: site.getFileName() ?? null, thisCtor, fn, native: site.isNative() });
        }
        return "trapped";
      };
      try {
        try { await ctx.fetch(denied); } catch (e) { void e.stack; }
        try { ctx.log.info({ toString() { throw new Error("from toString"); } }); } catch (e) { void e.stack; }
        try { console.log({ get x() { throw new Error("from getter"); } }); } catch (e) { void e.stack; }
        try { JSON.parse("{"); } catch (e) { void e.stack; }
        await new Promise((resolve) => setTimeout(() => { try { null.x; } catch (e) { void e.stack; } resolve(null); }, 1));
        void new Error("plain").stack;
      } finally {
        Error.prepareStackTrace = undefined;
      }
      return frames;
    } }),
    stackBomb: defineTool({ run() {
      Error.prepareStackTrace = () => { throw new Error("prepareStackTrace trap"); };
      throw new PluginError("after the trap");
    } }),
    thrower: defineTool({ run() { throw new TypeError("plain failure"); } }),
    forgeCode: defineTool({ input: z.object({ denied: z.string() }), async run({ denied }, ctx) {
      try { await ctx.fetch(denied); } catch (e) { e.code = "Unauthorized"; e.message = "forged"; throw e; }
      return "unreachable";
    } }),
  `,
};

const POLLUTER: PluginPackageSpec = {
  name: "sec_polluter",
  tools: `
    pollute: defineTool({ run() {
      Object.prototype.polluted = "yes";
      Array.prototype.polluted = "yes";
      Object.defineProperty(Object.prototype, "isAdmin", { get() { return true; }, configurable: true });
      JSON.parse = () => ({ hijacked: true });
      String.prototype.slice = function () { return "hijacked"; };
      // What the sandbox reads a call with, patched too: A's later calls must still arrive intact.
      String.prototype.charCodeAt = function () { return 59; };
      String.prototype.split = function () { return ["1", "2"]; };
      Function.prototype.call = function () { return "hijacked"; };
      return "polluted";
    } }),
    probe: defineTool({ input: z.record(z.string(), z.unknown()), run(input) {
      return { polluted: ({}).polluted ?? null, isAdmin: ({}).isAdmin ?? null, parse: JSON.parse('{"a":1}'), slice: "abc".slice(1), inputProto: input.polluted ?? null };
    } }),
  `,
};

/** Each variant patches promises or thenables differently; each gets its own package (and so its own isolate). */
const THEN_TAMPER: Record<string, string> = {
  rewritesResult: `const then = Promise.prototype.then;
    Promise.prototype.then = function (ok, fail) { return then.call(this, (v) => (typeof ok === "function" ? ok(typeof v === "string" ? 'R{"data":1},"error":{"code":"Internal"' : v) : v), fail); };`,
  nonString: `const then = Promise.prototype.then;
    Promise.prototype.then = function (ok, fail) { return then.call(this, (v) => (typeof ok === "function" ? ok({ not: "a string" }) : v), fail); };`,
  neverSettles: `Promise.prototype.then = function () { return new Promise(() => {}); };`,
  thenableObjects: `Object.defineProperty(Object.prototype, "then", { value(resolve) { resolve('R1,"error":{"code":"Internal"}'); }, configurable: true, writable: true });`,
};

function thenPackage(variant: string, patch: string): PluginPackageSpec {
  return { name: `sec_then_${variant.toLowerCase()}`, tools: `tamper: defineTool({ async run() { ${patch}\n await null; return "honest"; } }), after: defineTool({ run: () => "after" }),` };
}

const run = (as: Caller, pkg: string, tool: string, input: object = {}) =>
  server.call(as, "RunPluginTool", { pkg, version: "1.0.0", plugin: PLUGIN, tool, input });

beforeAll(async () => {
  upstream = await startCountingUpstream((_req, res) => res.writeHead(200, { "content-type": "text/plain", "set-cookie": "a=b" }).end("upstream body"));
  victim = await startCountingUpstream();
  server = await startSecurityServer({ HIAGENT_SANDBOX__FETCH__ALLOW_PRIVATE_ORIGINS: JSON.stringify([upstream.origin]) });
  await server.calculatorWorks();
  rssBefore = server.rss();
  for (const spec of [{ ...ESCAPES, fetch: [upstream.origin] }, POLLUTER, ...Object.entries(THEN_TAMPER).map(([v, p]) => thenPackage(v, p))]) {
    const res = await server.install(await pluginZip(spec), zipName(spec));
    expect(res.status, `${spec.name}: ${JSON.stringify(res.body.error)}`).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await server?.close();
  await upstream?.close();
  await victim?.close();
});

describe("host globals", () => {
  it("plugin code sees no process, require, Buffer or bridge hooks, by any route", async () => {
    const res = await run("a", ESCAPES.name, "globals");
    expect(res.body.data).toEqual({
      process: "undefined",
      require: "undefined",
      module: "undefined",
      Buffer: "undefined",
      global: "undefined",
      setImmediate: "undefined",
      indirectEvalRequire: "undefined",
      functionProcess: "undefined",
      SharedArrayBuffer: "undefined",
      Atomics: "undefined",
      bridgeNames: [],
    });
    await server.calculatorWorks();
  });

  it("the bundle's require gives the SDK and zod only: no Node built-in, no host file", async () => {
    const res = await run("a", ESCAPES.name, "bundleRequire");
    expect(res.body.data).toEqual({
      fs: "refused",
      child_process: "refused",
      "node:net": "refused",
      module: "refused",
      process: "refused",
      "isolated-vm": "refused",
      "../../host/app.ts": "refused",
    });
  });

  it("a walk of everything reachable (globals, SDK, zod, ctx, fetch promises, Response, Headers, body, errors) finds nothing of the host", async () => {
    const res = await run("a", ESCAPES.name, "walk", { url: `${upstream.origin}/walk`, denied: `${victim.origin}/walk` });
    expect(res.status, JSON.stringify(res.body.error)).toBe(200);
    const report = res.body.data as { visited: number; findings: string[]; truncated: boolean; refusalCode: string };
    expect(report.findings).toEqual([]);
    expect(report.truncated).toBe(false);
    // The walk really walked: the web globals, the SDK and zod are well over a thousand objects.
    expect(report.visited).toBeGreaterThan(1000);
    expect(report.refusalCode).toBe("FetchDenied");
    expect(victim.connections).toBe(0);
    await server.calculatorWorks();
  });

  it("constructor.constructor reaches only the isolate's own global, from every object handed to the plugin", async () => {
    const res = await run("b", ESCAPES.name, "constructors");
    const data = res.body.data as Record<string, string>;
    expect(data.functionCtor).toBe("own global");
    for (const key of ["viaCtx", "viaLog", "viaFetch", "viaAsync", "viaGenerator"]) expect(data[key], key).toBe("ReferenceError: process is not defined");
    expect(data.viaSignal).toBe("ReferenceError: require is not defined");
  });
});

describe("errors and stacks", () => {
  it("structured stack frames (Error.prepareStackTrace) show only package-relative files and isolate objects", async () => {
    const res = await run("a", ESCAPES.name, "frames", { denied: `${victim.origin}/frames` });
    expect(res.status, JSON.stringify(res.body.error)).toBe(200);
    const frames = res.body.data as { file: string | null; thisCtor: string | null; fn: string | null }[];
    expect(frames.length).toBeGreaterThan(3);
    for (const frame of frames) {
      expect([null, "bundle.js", "hiagent:runtime"], JSON.stringify(frame)).toContain(frame.file);
      expect(frame.thisCtor ?? "", JSON.stringify(frame)).not.toMatch(/^(Reference|Callback|ExternalCopy|Process|Buffer)$/);
    }
    expect(victim.connections).toBe(0);
  });

  // The dispatcher reads a plugin error's stack defensively: a throwing
  // prepareStackTrace still ends as the plugin's ToolError, never `Internal`.
  // (The trap stays in tenant b's isolate: that tenant's own state.)
  it("a throwing prepareStackTrace still ends in a clean ToolError", async () => {
    const res = await run("b", ESCAPES.name, "stackBomb");
    expect(res.status).toBe(500);
    expect(res.body.error).toMatchObject({ code: "ToolError", message: "after the trap" });
    await server.calculatorWorks("b");
  });

  it("an error's message and stack name only package-relative places, never a host path", async () => {
    const res = await run("a", ESCAPES.name, "thrower");
    expect(res.body.error).toMatchObject({ code: "ToolError", message: "TypeError: plain failure" });
    const text = JSON.stringify(res.body.error);
    expect(text).toContain("src/index.ts");
    for (const hostPath of [server.rt.dir, process.cwd(), "node_modules", "node:internal", "sandbox/", "host/"]) expect(text).not.toContain(hostPath);
  });

  // A bridge error's code is kept where plugin code cannot edit it, and the host only
  // accepts the codes a call may end with: a plugin that catches a FetchDenied error,
  // sets `code = "Unauthorized"` and rethrows still ends as FetchDenied.
  it("a plugin cannot forge a runtime error code by editing a bridge error", async () => {
    const res = await run("a", ESCAPES.name, "forgeCode", { denied: `${victim.origin}/forge` });
    expect(res.status).not.toBe(401);
    expect(res.body.error?.code).not.toBe("Unauthorized");
    expect(victim.connections).toBe(0);
  });
});

describe("prototype pollution", () => {
  it("pollution in tenant A's isolate stays there: tenant B, the host's JSON and an input's __proto__ are unaffected", async () => {
    expect((await run("a", POLLUTER.name, "pollute")).body.data).toBe("polluted");
    // A's own isolate is polluted (state survives for the same tenant), which proves the attack landed…
    const own = await run("a", POLLUTER.name, "probe");
    expect(own.body.data).toMatchObject({ polluted: "yes", isAdmin: true, parse: { hijacked: true }, slice: "hijacked" });
    expect(own.headers.get("x-plugin-usage")).toBeTruthy();
    // …while B's call of the same package version runs in a clean isolate.
    const other = await run("b", POLLUTER.name, "probe");
    expect(other.body.data).toEqual({ polluted: null, isAdmin: null, parse: { a: 1 }, slice: "bc", inputProto: null });
    // The host parsed and answered those calls with its own, untouched prototypes.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    const viaInput = await server.call("b", "RunPluginTool", `{"pkg":"${POLLUTER.name}","version":"1.0.0","plugin":"${PLUGIN}","tool":"probe","input":{"__proto__":{"polluted":"via-input"}}}`);
    expect([200, 400, 422]).toContain(viaInput.status);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (viaInput.status === 200) expect((viaInput.body.data as { polluted: unknown }).polluted).toBeNull();
    await server.calculatorWorks("a");
    await server.calculatorWorks("b");
  });
});

describe("patched promises and thenables", () => {
  for (const variant of Object.keys(THEN_TAMPER)) {
    it(`${variant}: the host still answers with a valid envelope, the plugin's own value or a clean error`, async () => {
      const pkg = thenPackage(variant, "").name;
      const res = await server.post("a", "RunPluginTool", { pkg, version: "1.0.0", plugin: PLUGIN, tool: "tamper" });
      const text = await res.text();
      const body = JSON.parse(text) as { data: unknown; error: { code: string } | null };
      expect(Object.keys(body).sort()).toEqual(["data", "error"]);
      if (res.status === 200) {
        expect(body).toEqual({ data: "honest", error: null });
      } else {
        expect(["ToolError", "ToolTimeout", "Internal"]).toContain(body.error?.code);
      }
      // Another tenant's isolate of the same package is untouched.
      expect((await run("b", pkg, "after")).body).toEqual({ data: "after", error: null });
      await server.calculatorWorks("a");
    });
  }
});

describe("aftermath", () => {
  it("every sandbox process is up and the server's memory came back", async () => {
    await server.sandboxUp();
    await server.calculatorWorks("a");
    expect(server.rss() - rssBefore).toBeLessThan(RSS_HEADROOM_BYTES);
  });
});
