// The names a tool goes by outside /v1: MCP tool names and the function names of the
// model APIs. One rule for every door, so a tool listed by `/mcp` and exported by
// ExportToolSchemas carries the same name.
//
// A name is built from the tool's parts: `{pkg}_{plugin}_{tool}` across a deployment,
// or within one package the tool's own name when it is unique there, else
// `{plugin}_{tool}`. Each character a target does not allow becomes `_`. A name that
// is then too long, or that two tools of the same listing would share (`a_b`+`c` and
// `a`+`b_c`, or `My Tool` and `My_Tool`), is cut and given a suffix `_` + 8 hex digits
// of the SHA-256 of the tool's identity (`pkg`, `plugin`, `tool` joined by NUL), so it
// stays the same from listing to listing and never collides in practice.
import { createHash } from "node:crypto";
import { RuntimeError } from "../../sandbox/errors.ts";

export interface ToolId {
  pkg: string;
  plugin: string;
  tool: string;
}

export interface NameRule {
  /** What a valid name looks like, for checks and documentation. */
  pattern: RegExp;
  /** One character the target does not allow (global). */
  invalidChar: RegExp;
  maxLength: number;
}

/** MCP tool names (SEP-986): ASCII letters, digits, `_`, `-` and `.`; we keep to 64 characters. */
export const MCP_NAME_RULE: NameRule = { pattern: /^[A-Za-z0-9_.-]{1,64}$/, invalidChar: /[^A-Za-z0-9_.-]/g, maxLength: 64 };

/**
 * OpenAI function names are `^[a-zA-Z0-9_-]{1,64}$`; Anthropic's tool names allow 128
 * characters of the same set. One 64-character rule serves both (and clients that
 * still hold Anthropic's older 64-character limit).
 */
export const FUNCTION_NAME_RULE: NameRule = { pattern: /^[a-zA-Z0-9_-]{1,64}$/, invalidChar: /[^a-zA-Z0-9_-]/g, maxLength: 64 };

/** Where the names must be unique: a whole deployment (`/mcp`) or one package (`/mcp/{pkg}`). */
export type NameScope = "deployment" | "package";

const HASH_DIGITS = 8;

function identityHash(id: ToolId): string {
  return createHash("sha256").update(`${id.pkg}\0${id.plugin}\0${id.tool}`).digest("hex").slice(0, HASH_DIGITS);
}

function partsOf(id: ToolId, scope: NameScope, toolNameCounts: ReadonlyMap<string, number>): string[] {
  if (scope === "deployment") return [id.pkg, id.plugin, id.tool];
  return (toolNameCounts.get(id.tool) ?? 0) > 1 ? [id.plugin, id.tool] : [id.tool];
}

function plainName(parts: readonly string[], rule: NameRule): string {
  return parts.map((p) => p.replace(rule.invalidChar, "_")).join("_");
}

function hashedName(plain: string, id: ToolId, rule: NameRule): string {
  return `${plain.slice(0, rule.maxLength - HASH_DIGITS - 1)}_${identityHash(id)}`;
}

/**
 * Names every tool of one listing, in the order given; the result is unique, matches
 * `rule.pattern`, and does not depend on the order of `ids`. In the `package` scope
 * every id should belong to the same package.
 */
export function assignToolNames(ids: readonly ToolId[], scope: NameScope, rule: NameRule): string[] {
  const toolNameCounts = new Map<string, number>();
  for (const id of ids) toolNameCounts.set(id.tool, (toolNameCounts.get(id.tool) ?? 0) + 1);
  const names = ids.map((id) => {
    const plain = plainName(partsOf(id, scope, toolNameCounts), rule);
    return plain.length === 0 || plain.length > rule.maxLength ? hashedName(plain, id, rule) : plain;
  });
  // Every tool whose name another tool also got is hashed; repeat in case a hashed
  // name meets a plain one.
  for (let round = 0; round < 3; round++) {
    const counts = new Map<string, number>();
    for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
    let clashed = false;
    names.forEach((name, i) => {
      const id = ids[i];
      if ((counts.get(name) ?? 0) < 2 || id === undefined) return;
      clashed = true;
      names[i] = hashedName(plainName(partsOf(id, scope, toolNameCounts), rule), id, rule);
    });
    if (!clashed) return names;
  }
  // Only the same tool listed twice, or a SHA-256 prefix collision, gets here.
  throw new RuntimeError("Internal", "tool names collide even after hashing (is a tool listed twice?)");
}

/** Looks a name up in a listing named by `assignToolNames` with the same arguments. */
export function toolByName(ids: readonly ToolId[], scope: NameScope, rule: NameRule, name: string): ToolId | undefined {
  const names = assignToolNames(ids, scope, rule);
  const index = names.indexOf(name);
  return index < 0 ? undefined : ids[index];
}
