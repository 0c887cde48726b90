// Splits an arithmetic expression into tokens, remembering where each starts so that
// errors can say "at position 7". Anything that is not a number, a name, an operator
// or a parenthesis is refused here, before parsing.

export type Token =
  | { kind: "number"; value: number; pos: number }
  | { kind: "name"; value: string; pos: number }
  | { kind: "op"; value: "+" | "-" | "*" | "/" | "^" | "%" | "(" | ")" | ","; pos: number }
  | { kind: "end"; pos: number };

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(`${message} at position ${pos + 1}`);
    this.name = "ExpressionError";
  }
}

const OPERATORS = new Set(["+", "-", "*", "/", "^", "%", "(", ")", ","]);
const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    const char = text[pos]!;
    if (/\s/.test(char)) {
      pos++;
      continue;
    }
    const rest = text.slice(pos);
    const number = NUMBER.exec(rest);
    if (number) {
      tokens.push({ kind: "number", value: Number(number[0]), pos });
      pos += number[0].length;
      continue;
    }
    const name = NAME.exec(rest);
    if (name) {
      tokens.push({ kind: "name", value: name[0].toLowerCase(), pos });
      pos += name[0].length;
      continue;
    }
    // "**" is a common spelling of power; accept it as "^".
    if (rest.startsWith("**")) {
      tokens.push({ kind: "op", value: "^", pos });
      pos += 2;
      continue;
    }
    if (OPERATORS.has(char)) {
      tokens.push({ kind: "op", value: char as Extract<Token, { kind: "op" }>["value"], pos });
      pos++;
      continue;
    }
    throw new ExpressionError(`unexpected character ${JSON.stringify(char)}`, pos);
  }
  tokens.push({ kind: "end", pos });
  return tokens;
}
