// console.* and ctx.log inside the isolate: formats arguments to one line of text
// and hands it to the host, which tags it with the call and caps it per call.
import { currentCall, log } from "./bridge.ts";

const jsonStringify = JSON.stringify;
const MAX_LINE = 16_384;

function formatValue(value: unknown, depth: number): string {
  if (typeof value === "string") return depth === 0 ? value : jsonStringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol" || typeof value === "function") {
    try {
      return String(value);
    } catch {
      return "[unprintable]";
    }
  }
  if (value === null || typeof value !== "object") return String(value);
  if (value instanceof Error) return value.stack ? String(value.stack) : `${value.name}: ${value.message}`;
  try {
    const text = jsonStringify(value);
    return typeof text === "string" ? text : String(value);
  } catch {
    return "[object]";
  }
}

export function formatArgs(args: unknown[]): string {
  let out = "";
  for (let i = 0; i < args.length; i++) {
    if (i > 0) out += " ";
    out += formatValue(args[i], 0);
    if (out.length > MAX_LINE) break;
  }
  return out.length > MAX_LINE ? out.slice(0, MAX_LINE) : out;
}

export function makeLogger(callIdOf: () => string) {
  const at = (level: string) => (...args: unknown[]) => log(level, formatArgs(args), callIdOf());
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export function makeConsole() {
  const l = makeLogger(currentCall);
  return {
    log: l.info,
    info: l.info,
    debug: l.debug,
    trace: l.debug,
    warn: l.warn,
    error: l.error,
    dir: l.info,
    table: l.info,
    assert: (cond: unknown, ...args: unknown[]) => {
      if (!cond) l.error("Assertion failed", ...args);
    },
    time: () => {},
    timeEnd: () => {},
    timeLog: () => {},
    count: () => {},
    countReset: () => {},
    group: () => {},
    groupEnd: () => {},
  };
}
