// The compiler options of a package's own tsconfig.json that change how its code
// compiles. esbuild is told never to read tsconfig files itself, because `paths`,
// `baseUrl` and `extends` could point resolution outside the package; only these
// options (which name no files) are passed on.
import { readFile } from "node:fs/promises";
import path from "node:path";

const PASSED_OPTIONS = ["experimentalDecorators", "useDefineForClassFields", "verbatimModuleSyntax", "alwaysStrict"] as const;

export interface TsconfigRaw {
  compilerOptions: Partial<Record<(typeof PASSED_OPTIONS)[number], boolean>>;
}

/** Removes // and /* *\/ comments and trailing commas outside strings (tsconfig files are JSONC). */
export function stripJsonComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    const next = text[i + 1];
    if (char === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      out += text.slice(start, i + 1);
    } else if (char === "/" && next === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (char === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (char === "," && /^\s*[}\]]/.test(text.slice(i + 1, i + 1 + 256))) {
      continue;
    } else {
      out += char;
    }
  }
  return out;
}

/** The passed-on options of `<packageDir>/tsconfig.json`; empty when there is none or it does not parse. */
export async function readTsconfigOptions(packageDir: string): Promise<TsconfigRaw> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stripJsonComments(await readFile(path.join(packageDir, "tsconfig.json"), "utf8")));
  } catch {
    return { compilerOptions: {} };
  }
  const options = (parsed as { compilerOptions?: unknown } | null)?.compilerOptions;
  const compilerOptions: TsconfigRaw["compilerOptions"] = {};
  if (options && typeof options === "object") {
    for (const key of PASSED_OPTIONS) {
      const value = (options as Record<string, unknown>)[key];
      if (typeof value === "boolean") compilerOptions[key] = value;
    }
  }
  return { compilerOptions };
}
