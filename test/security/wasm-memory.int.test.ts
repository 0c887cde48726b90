// WebAssembly memory (SPEC §4, §9.1): it lives outside the V8 heap, so it is budgeted
// against the isolate's memory limit on its own. With `memory_limit_mb: 64`, four calls
// that each try to keep 256 MiB of touched WebAssembly memory all end with
// ToolMemoryLimit, the sandbox processes stay small, and a memory the budget can afford
// shows in the call's receipt. A module's own memory and `grow` (from JavaScript or from
// inside the module) are held to the same budget, and shared memory is refused.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLUGIN, pluginZip, zipName, type PluginPackageSpec } from "./hostile-packages.ts";
import { startSecurityServer, type SecurityServer } from "./security-server.ts";

const MIB = 1024 * 1024;
const PAGES_256_MIB = 4096;

let server: SecurityServer;

function leb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return out;
}

const section = (id: number, payload: number[]): number[] => [id, ...leb(payload.length), ...payload];

/** A module defining one memory (exported as `mem`) and `grow(pages)`, which runs `memory.grow` inside the module. */
function moduleWithMemory(initial: number, maximum: number | null, shared = false): number[] {
  const limits = maximum === null ? [0x00, ...leb(initial)] : [shared ? 0x03 : 0x01, ...leb(initial), ...leb(maximum)];
  const name = (s: string) => [s.length, ...Buffer.from(s)];
  return [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f]),
    ...section(3, [0x01, 0x00]),
    ...section(5, [0x01, ...limits]),
    ...section(7, [0x02, ...name("mem"), 0x02, 0x00, ...name("grow"), 0x00, 0x00]),
    ...section(10, [0x01, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b]),
  ];
}

const WASM: PluginPackageSpec = {
  name: "sec_wasm_memory",
  top: `
    const bytes = (list) => new Uint8Array(list);
    const touch = (memory) => { const view = new Uint8Array(memory.buffer); for (let i = 0; i < view.length; i += 4096) view[i] = 1; return view.length; };
    globalThis.kept = [];
  `,
  tools: `
    keepMemory: defineTool({ run() {
      const memory = new WebAssembly.Memory({ initial: ${PAGES_256_MIB} });
      const n = touch(memory);
      kept.push(memory);
      return n;
    } }),
    keepGrown: defineTool({ run() {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
      memory.grow(${PAGES_256_MIB - 1});
      const n = touch(memory);
      kept.push(memory);
      return n;
    } }),
    keepModuleMemory: defineTool({ async run() {
      const { instance } = await WebAssembly.instantiate(bytes(${JSON.stringify(moduleWithMemory(PAGES_256_MIB, null))}));
      const n = touch(instance.exports.mem);
      kept.push(instance);
      return n;
    } }),
    growInside: defineTool({ async run() {
      const { instance } = await WebAssembly.instantiate(bytes(${JSON.stringify(moduleWithMemory(1, null))}));
      kept.push(instance);
      // memory.grow inside the module: -1 when refused, else the old size in pages.
      return [instance.exports.grow(${PAGES_256_MIB}), instance.exports.mem.buffer.byteLength];
    } }),
    sharedMemory: defineTool({ run() {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      return String(memory.buffer);
    } }),
    sharedModuleMemory: defineTool({ run() {
      return String(new WebAssembly.Module(bytes(${JSON.stringify(moduleWithMemory(1, 1, true))})));
    } }),
    sideDoors: defineTool({ run() {
      const big = { initial: ${PAGES_256_MIB} };
      const attempts = {
        protoOfConstructor: () => Reflect.construct(Object.getPrototypeOf(WebAssembly.Memory), [big]),
        constructorOfInstance: () => new (new WebAssembly.Memory({ initial: 1, maximum: 1 }).constructor)(big),
        constructorOfPrototype: () => new WebAssembly.Memory.prototype.constructor(big),
        subclass: () => new (class extends WebAssembly.Memory {})(big),
        moduleWithPatchedIterator: () => {
          const module = bytes(${JSON.stringify(moduleWithMemory(PAGES_256_MIB, null))});
          const iterator = Array.prototype[Symbol.iterator];
          Array.prototype[Symbol.iterator] = function* () { yield 0; yield 0; };
          try { return new WebAssembly.Instance(new WebAssembly.Module(module)); }
          finally { Array.prototype[Symbol.iterator] = iterator; }
        },
        moduleWithIndexSetter: () => {
          Object.defineProperty(Array.prototype, "0", { set() {}, get() { return { initial: 0, maximum: 0 }; }, configurable: true });
          try { return new WebAssembly.Instance(new WebAssembly.Module(bytes(${JSON.stringify(moduleWithMemory(PAGES_256_MIB, null))}))); }
          finally { delete Array.prototype[0]; }
        },
      };
      const outcomes = {};
      for (const [name, attempt] of Object.entries(attempts)) {
        try { const made = attempt(); outcomes[name] = "made " + String(made); kept.push(made); }
        catch (err) { outcomes[name] = err.code ?? err.name; }
      }
      return outcomes;
    } }),
    small: defineTool({ run() {
      const memory = new WebAssembly.Memory({ initial: 16, maximum: 16 });
      kept.push(memory);
      return touch(memory);
    } }),
  `,
};

const run = (tool: string) => server.call("a", "RunPluginTool", { pkg: WASM.name, version: "1.0.0", plugin: PLUGIN, tool, input: {} });

async function sandboxRss(): Promise<number[]> {
  const health = await server.health();
  const pids = (health.components.sandbox?.processes ?? []).map((p) => p.pid).filter((pid): pid is number => pid !== null);
  return Promise.all(pids.map(async (pid) => Number(/^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024));
}

beforeAll(async () => {
  server = await startSecurityServer({ HIAGENT_SANDBOX__MEMORY_LIMIT_MB: "64" });
  const res = await server.install(await pluginZip(WASM), zipName(WASM));
  expect(res.status, JSON.stringify(res.body.error)).toBe(200);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe("WebAssembly memory counts against the isolate's memory limit (64 MB)", () => {
  it.each(["keepMemory", "keepGrown", "keepModuleMemory"])("four calls of %s, each keeping 256 MiB, all end with ToolMemoryLimit", async (tool) => {
    for (let i = 0; i < 4; i++) {
      const res = await run(tool);
      expect(res.body.error?.code, JSON.stringify(res.body)).toBe("ToolMemoryLimit");
      expect(res.status).toBe(500);
    }
    if (process.platform === "linux") for (const rss of await sandboxRss()) expect(rss).toBeLessThan(400 * MIB);
    await server.calculatorWorks();
  }, 60_000);

  it("a memory within the budget works and shows in the receipt", async () => {
    const res = await run("small");
    expect(res.body, JSON.stringify(res.body)).toEqual({ data: 16 * 65_536, error: null });
    const wasm = Number(/wasm_memory_bytes=(\d+)/.exec(res.headers.get("x-plugin-usage") ?? "")?.[1]);
    expect(wasm).toBeGreaterThanOrEqual(16 * 65_536);
  });

  it("memory.grow inside a module stops at what is left of the budget", async () => {
    const res = await run("growInside");
    expect(res.body).toEqual({ data: [-1, 65_536], error: null });
    // It was capped to what the memory kept by the call before left, and says so in the receipt.
    expect(Number(/wasm_memory_bytes=(\d+)/.exec(res.headers.get("x-plugin-usage") ?? "")?.[1])).toBe(64 * MIB);
  });

  it("no prototype walk, subclass or patched intrinsic reaches an uncapped memory", async () => {
    const res = await run("sideDoors");
    expect(res.body).toEqual({
      data: {
        protoOfConstructor: "TypeError",
        constructorOfInstance: "ToolMemoryLimit",
        constructorOfPrototype: "ToolMemoryLimit",
        subclass: "ToolMemoryLimit",
        moduleWithPatchedIterator: "ToolMemoryLimit",
        moduleWithIndexSetter: "ToolMemoryLimit",
      },
      error: null,
    });
  });

  it("shared WebAssembly memory (a SharedArrayBuffer) is refused, from the constructor and from a module", async () => {
    for (const tool of ["sharedMemory", "sharedModuleMemory"]) {
      const res = await run(tool);
      expect(res.body.error?.code).toBe("ToolError");
      expect(res.body.error?.message).toMatch(/shared WebAssembly memory is not available/);
    }
  });
});
