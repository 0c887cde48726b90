// The Math plugin in the real sandbox: the expression evaluator (precedence, functions,
// errors with positions, no way out to JavaScript) and the WebAssembly GCD, which
// also shows that WebAssembly.instantiate works inside the isolate.
import { readdir, readFile } from "node:fs/promises";
import { loadPlugin, type LoadedPlugin, type PluginCallError } from "hiagent-plugin-sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PACKAGE = new URL("..", import.meta.url);
let plugin: LoadedPlugin;

const evaluate = async (expression: string) => (await plugin.call<{ result: number }>("Math", "evaluate", { expression })).result;

async function failure(promise: Promise<unknown>): Promise<PluginCallError> {
  try {
    await promise;
  } catch (err) {
    return err as PluginCallError;
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  plugin = await loadPlugin(PACKAGE);
});

afterAll(async () => {
  await plugin?.close();
});

describe("evaluate", () => {
  it.each([
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ["2 ^ 3 ^ 2", 512],
    ["2 ** 10", 1024],
    ["-2 ^ 2", -4],
    ["2 ^ -1", 0.5],
    ["--3", 3],
    ["7 % 4 + 10 / 4", 5.5],
    ["sqrt(16) + abs(-3)", 7],
    ["max(1, 5, 3) - min(4, 2)", 3],
    ["log(e ^ 2)", 2],
    ["log(1000, 10)", 3],
    ["cos(0) + sin(0)", 1],
    ["2 * PI", 2 * Math.PI],
    ["1.5e3 + .5", 1500.5],
  ])("%s = %d", async (expression, expected) => {
    expect(await evaluate(expression)).toBeCloseTo(expected, 12);
  });

  it.each([
    ["1 +", "unexpected end of expression at position 4"],
    ["(1 + 2", 'expected ")", found end of expression at position 7'],
    ["2 $ 3", 'unexpected character "$" at position 3'],
    ["1 / (2 - 2)", "division by zero at position 3"],
    ["foo(1)", 'unknown function "foo" at position 1'],
    ["constructor", 'unknown name "constructor" at position 1'],
    ["sqrt(1, 2)", "sqrt takes 1 argument(s), got 2 at position 1"],
    ["sqrt(-1)", "the result is not a finite number (NaN)"],
    ["(".repeat(100) + "1" + ")".repeat(100), "expression nests too deeply at position 65"],
    ["-".repeat(500) + "1", "expression nests too deeply at position 65"],
  ])("refuses %s", async (expression, message) => {
    const err = await failure(plugin.call("Math", "evaluate", { expression }));
    expect(err.code).toBe("ToolError");
    expect(err.message).toBe(message);
  });

  it("is a parser, not eval", async () => {
    const sources = await readdir(new URL("src/", PACKAGE));
    for (const file of sources.filter((f) => f.endsWith(".ts"))) {
      const text = await readFile(new URL(`src/${file}`, PACKAGE), "utf8");
      expect(text, file).not.toMatch(/\beval\s*\(|\bFunction\s*\(/);
    }
  });
});

describe("gcd (WebAssembly)", () => {
  it("computes gcd and lcm in the isolate", async () => {
    expect(await plugin.call("Math", "gcd", { numbers: [12, 18] })).toEqual({ gcd: 6, lcm: 36 });
    expect(await plugin.call("Math", "gcd", { numbers: [-48, 36, 120] })).toEqual({ gcd: 12, lcm: 720 });
    expect(await plugin.call("Math", "gcd", { numbers: [0, 9] })).toEqual({ gcd: 9, lcm: 0 });
    expect(await plugin.call("Math", "gcd", { numbers: [2 ** 50, 3 * 2 ** 30] })).toEqual({ gcd: 2 ** 30, lcm: 3 * 2 ** 50 });
  });

  it("refuses an lcm beyond exact numbers", async () => {
    const err = await failure(plugin.call("Math", "gcd", { numbers: [2 ** 52 + 1, 2 ** 52 - 1] }));
    expect(err.message).toBe("the least common multiple is larger than 2^53 - 1");
  });

  it("ships the module that its .wat describes", async () => {
    const wasm = await readFile(new URL("src/gcd.wasm", PACKAGE));
    // Node has WebAssembly; its types are not in the Node typings this repo uses.
    const wasmApi = (globalThis as unknown as { WebAssembly: { instantiate(bytes: Uint8Array): Promise<{ instance: { exports: Record<string, unknown> } }> } }).WebAssembly;
    const { instance } = await wasmApi.instantiate(wasm);
    const gcd = instance.exports["gcd"] as (a: bigint, b: bigint) => bigint;
    expect(gcd(1071n, 462n)).toBe(21n);
    expect(plugin.meta.plugins[0]?.tools.gcd?.input_schema).toMatchObject({ properties: { numbers: { minItems: 2 } } });
  });
});
