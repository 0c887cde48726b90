// The Math plugin: exact answers for the arithmetic agents get wrong. `evaluate` parses
// expressions itself (never eval); `gcd` runs its core in WebAssembly.
import { definePlugin, defineTool, PluginError, z } from "hiagent-plugin-sdk";
import { evaluate, ExpressionError } from "./expression.ts";
import { wasmGcd } from "./wasm-gcd.ts";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export default definePlugin({
  name: "Math",
  description: "Evaluate arithmetic expressions and compute greatest common divisors",
  labels: { name_zh_hans: "数学计算" },
  category: "utility",
  tools: {
    evaluate: defineTool({
      description: "Evaluate an arithmetic expression: + - * / % ^, parentheses, sqrt sin cos tan log abs min max, pi, e",
      input: z.object({ expression: z.string().min(1).max(1000).describe("e.g. 2 * (3 + 4) ^ 2 / sqrt(16)") }),
      output: z.object({ expression: z.string(), result: z.number() }),
      run({ expression }) {
        let result: number;
        try {
          result = evaluate(expression);
        } catch (err) {
          if (err instanceof ExpressionError) throw new PluginError(err.message, { data: { position: err.pos + 1 } });
          throw err;
        }
        if (!Number.isFinite(result)) throw new PluginError(`the result is not a finite number (${result})`);
        return { expression, result };
      },
    }),
    gcd: defineTool({
      description: "Greatest common divisor and least common multiple of integers",
      input: z.object({
        numbers: z.array(z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER)).min(2).max(100),
      }),
      output: z.object({ gcd: z.number(), lcm: z.number() }),
      async run({ numbers }) {
        const gcd = await wasmGcd();
        let g = 0n;
        let l = 1n;
        for (const n of numbers.map(BigInt)) {
          g = gcd(g, n);
          // lcm(l, n) = |l * n| / gcd(l, n), exact in BigInt; 0 absorbs everything.
          const abs = n < 0n ? -n : n;
          l = l === 0n || abs === 0n ? 0n : (l / gcd(l, abs)) * abs;
          if (l > MAX_SAFE) throw new PluginError("the least common multiple is larger than 2^53 - 1");
        }
        return { gcd: Number(g), lcm: Number(l) };
      },
    }),
  },
});
