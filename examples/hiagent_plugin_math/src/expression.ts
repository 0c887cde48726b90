// Evaluates arithmetic by recursive descent over the tokens; no eval, no Function:
// names resolve only through the two tables below, so an expression can reach
// nothing but these constants and functions.
//
//   expression := term (("+" | "-") term)*
//   term       := unary (("*" | "/" | "%") unary)*
//   unary      := ("-" | "+") unary | power
//   power      := primary ("^" unary)?          right-associative; -2^2 = -(2^2)
//   primary    := number | name | name "(" args ")" | "(" expression ")"
import { ExpressionError, tokenize, type Token } from "./tokenizer.ts";

const CONSTANTS: ReadonlyMap<string, number> = new Map([
  ["pi", Math.PI],
  ["e", Math.E],
]);

interface MathFunction {
  /** How many arguments it takes: [min, max]. */
  arity: [number, number];
  apply(args: number[]): number;
}

const FUNCTIONS: ReadonlyMap<string, MathFunction> = new Map<string, MathFunction>([
  ["sqrt", { arity: [1, 1], apply: ([x]) => Math.sqrt(x!) }],
  ["sin", { arity: [1, 1], apply: ([x]) => Math.sin(x!) }],
  ["cos", { arity: [1, 1], apply: ([x]) => Math.cos(x!) }],
  ["tan", { arity: [1, 1], apply: ([x]) => Math.tan(x!) }],
  // log(x) is the natural logarithm; log(x, b) is base b.
  ["log", { arity: [1, 2], apply: ([x, b]) => (b === undefined ? Math.log(x!) : Math.log(x!) / Math.log(b)) }],
  ["abs", { arity: [1, 1], apply: ([x]) => Math.abs(x!) }],
  ["min", { arity: [1, 100], apply: (args) => Math.min(...args) }],
  ["max", { arity: [1, 100], apply: (args) => Math.max(...args) }],
]);

/** Deep nesting would only exhaust the stack; no real expression needs more. */
const MAX_DEPTH = 64;

class Parser {
  #index = 0;
  #depth = 0;

  constructor(private readonly tokens: Token[]) {}

  get #token(): Token {
    return this.tokens[this.#index]!;
  }

  #isOp(value: string): boolean {
    const token = this.#token;
    return token.kind === "op" && token.value === value;
  }

  #expect(value: string): void {
    if (!this.#isOp(value)) throw this.#unexpected(`expected "${value}"`);
    this.#index++;
  }

  #unexpected(what = "unexpected"): ExpressionError {
    const token = this.#token;
    const shown = token.kind === "end" ? "end of expression" : JSON.stringify(String(token.value));
    return new ExpressionError(`${what === "unexpected" ? "unexpected" : `${what}, found`} ${shown}`, token.pos);
  }

  parse(): number {
    const value = this.#expression();
    if (this.#token.kind !== "end") throw this.#unexpected();
    return value;
  }

  #expression(): number {
    let value = this.#term();
    while (this.#isOp("+") || this.#isOp("-")) {
      const plus = this.#isOp("+");
      this.#index++;
      const right = this.#term();
      value = plus ? value + right : value - right;
    }
    return value;
  }

  #term(): number {
    let value = this.#unary();
    while (this.#isOp("*") || this.#isOp("/") || this.#isOp("%")) {
      const token = this.#token as Extract<Token, { kind: "op" }>;
      this.#index++;
      const right = this.#unary();
      if ((token.value === "/" || token.value === "%") && right === 0) throw new ExpressionError("division by zero", token.pos);
      value = token.value === "*" ? value * right : token.value === "/" ? value / right : value % right;
    }
    return value;
  }

  #unary(): number {
    // Signs and exponents recurse through here, so the depth check covers them too.
    if (++this.#depth > MAX_DEPTH) throw new ExpressionError("expression nests too deeply", this.#token.pos);
    let value: number;
    if (this.#isOp("-") || this.#isOp("+")) {
      const minus = this.#isOp("-");
      this.#index++;
      value = minus ? -this.#unary() : this.#unary();
    } else {
      value = this.#power();
    }
    this.#depth--;
    return value;
  }

  #power(): number {
    const base = this.#primary();
    if (!this.#isOp("^")) return base;
    this.#index++;
    return base ** this.#unary();
  }

  #primary(): number {
    const token = this.#token;
    if (token.kind === "number") {
      this.#index++;
      return token.value;
    }
    if (token.kind === "name") {
      this.#index++;
      if (this.#isOp("(")) return this.#call(token.value, token.pos);
      const constant = CONSTANTS.get(token.value);
      if (constant === undefined) throw new ExpressionError(`unknown name "${token.value}"`, token.pos);
      return constant;
    }
    if (this.#isOp("(")) {
      this.#index++;
      const value = this.#expression();
      this.#expect(")");
      return value;
    }
    throw this.#unexpected();
  }

  #call(name: string, pos: number): number {
    const fn = FUNCTIONS.get(name);
    if (!fn) throw new ExpressionError(`unknown function "${name}"`, pos);
    this.#expect("(");
    const args: number[] = [];
    if (!this.#isOp(")")) {
      args.push(this.#expression());
      while (this.#isOp(",")) {
        this.#index++;
        args.push(this.#expression());
      }
    }
    this.#expect(")");
    const [min, max] = fn.arity;
    if (args.length < min || args.length > max) {
      const wanted = min === max ? `${min}` : `${min} to ${max}`;
      throw new ExpressionError(`${name} takes ${wanted} argument(s), got ${args.length}`, pos);
    }
    return fn.apply(args);
  }
}

/** The value of an arithmetic expression; throws ExpressionError for anything else. */
export function evaluate(text: string): number {
  return new Parser(tokenize(text)).parse();
}

export { ExpressionError };
