// Which config fields of a plugin are secret, read from the JSON Schema the package's
// metadata holds (`"x-hiagent-secret": true`, opted out with `x-hiagent-secret-exposed`),
// and the rules such a field must follow: the plugin's own schema checks the
// placeholder that stands in for the value, so a secret is a string whose length
// limits a placeholder can meet, with no pattern or format. The real value's length
// is checked here, on the host, before a placeholder is minted for it.
import { RuntimeError } from "../errors.ts";
import type { PluginMeta } from "../sandbox-api.ts";

/** Shortest placeholder: its prefix plus 192 random bits. */
export const PLACEHOLDER_MIN_LENGTH = 36;
/** Longest placeholder minted (a field's minLength asks for more than the default). */
export const PLACEHOLDER_MAX_LENGTH = 1024;

export interface SecretField {
  /** Property names from the config object down to the field. */
  path: string[];
  exposed: boolean;
  minLength: number;
  maxLength: number | null;
  /** Why the field cannot hold a placeholder (a pattern, a format…), or null. */
  unfit: string | null;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const MAX_DEPTH = 32;

/** Follows a local `$ref` (`#/$defs/…`); anything else is the schema itself. */
function deref(schema: Json, root: Json, depth: number): Json {
  const ref = schema.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#/") || depth > MAX_DEPTH) return schema;
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) node = isObject(node) ? node[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  return isObject(node) ? deref(node, root, depth + 1) : schema;
}

/** The schema and every branch a value at this spot is checked against (`.nullable()` puts the mark in one). */
function branches(schema: Json, root: Json, depth: number): Json[] {
  const node = deref(schema, root, depth);
  const out = [node];
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const list = node[key];
    if (Array.isArray(list) && depth < MAX_DEPTH) for (const b of list) if (isObject(b)) out.push(...branches(b, root, depth + 1));
  }
  return out;
}

const secretNode = (nodes: Json[]): Json | undefined => nodes.find((n) => n["x-hiagent-secret"] === true);

function fieldOf(path: string[], marked: Json): SecretField {
  const exposed = marked["x-hiagent-secret-exposed"] === true;
  const minLength = typeof marked.minLength === "number" ? marked.minLength : 0;
  const maxLength = typeof marked.maxLength === "number" ? marked.maxLength : null;
  let unfit: string | null = null;
  if (marked.type !== "string") unfit = "is not a string";
  else if (marked.pattern !== undefined) unfit = "has a pattern (regex, startsWith, endsWith, includes…)";
  else if (marked.format !== undefined) unfit = `has a format (${String(marked.format)})`;
  else if (maxLength !== null && maxLength < PLACEHOLDER_MIN_LENGTH) unfit = `allows at most ${maxLength} characters`;
  else if (minLength > PLACEHOLDER_MAX_LENGTH) unfit = `requires at least ${minLength} characters`;
  else if (maxLength !== null && maxLength < minLength) unfit = "has no length a value can have";
  return { path, exposed, minLength, maxLength, unfit };
}

/** Each secret node of the schema, with the path to it (`*` for array items and map values). */
function collect(schema: unknown, root: Json, path: string[], out: SecretField[], depth: number): void {
  if (!isObject(schema) || depth > MAX_DEPTH) return;
  const nodes = branches(schema, root, depth);
  const marked = secretNode(nodes);
  if (marked !== undefined) {
    out.push(fieldOf(path, marked));
    return;
  }
  for (const node of nodes) {
    if (isObject(node.properties)) for (const [name, sub] of Object.entries(node.properties)) collect(sub, root, [...path, name], out, depth + 1);
    if (isObject(node.additionalProperties)) collect(node.additionalProperties, root, [...path, "*"], out, depth + 1);
    if (isObject(node.items)) collect(node.items, root, [...path, "*"], out, depth + 1);
  }
}

/** The secret fields of a config schema (JSON Schema as describePlugin writes it). */
export function secretFieldsOf(configSchema: unknown): SecretField[] {
  const out: SecretField[] = [];
  if (isObject(configSchema)) collect(configSchema, configSchema, [], out, 0);
  return out.filter((f) => f.path.length > 0);
}

function mapValue(value: unknown, schema: Json | null, root: Json, path: string[], depth: number, replace: SecretReplacer): unknown {
  if (schema === null || depth > 2 * MAX_DEPTH || value === null || value === undefined) return value;
  const nodes = branches(schema, root, depth);
  const marked = secretNode(nodes);
  if (marked !== undefined) return replace(value, fieldOf(path, marked));
  if (Array.isArray(value)) {
    const items = nodes.map((n) => (isObject(n.items) ? n.items : null)).find((s) => s !== null) ?? null;
    return value.map((v, i) => mapValue(v, items, root, [...path, String(i)], depth + 1, replace));
  }
  if (typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    // Every branch's schema for this key counts: a secret in any of them makes it secret.
    const fields = nodes
      .map((n) => (isObject(n.properties) && isObject(n.properties[key]) ? n.properties[key] : isObject(n.additionalProperties) ? n.additionalProperties : null))
      .filter((f): f is Json => f !== null);
    out[key] = mapValue(v, fields.length === 0 ? null : { anyOf: fields }, root, [...path, key], depth + 1, replace);
  }
  return out;
}

/** What takes a secret's place: given its value and its field (path as found in the value). */
export type SecretReplacer = (value: unknown, field: SecretField) => unknown;

/**
 * A copy of `cfg` with the value of every field its schema marks secret passed through
 * `replace` (the one walk over a config by its schema: placeholders for a call,
 * `[redacted]` for a stored config's answers). Follows `properties`,
 * `additionalProperties`, `items`, `anyOf`/`oneOf`/`allOf` and local `$ref`s.
 */
export function mapSecretValues(cfg: unknown, configSchema: unknown, replace: SecretReplacer): unknown {
  if (!isObject(configSchema)) return cfg;
  return mapValue(cfg, configSchema, configSchema, [], 0, replace);
}

const fieldName = (f: SecretField): string => f.path.join(".");

/**
 * Refuses, at install, a package whose secret fields could never take a placeholder,
 * or which exposes a secret when the operator does not allow it.
 */
export function checkSecretFields(plugins: readonly PluginMeta[], allowExposed: boolean): void {
  for (const plugin of plugins) {
    for (const field of secretFieldsOf(plugin.config_schema)) {
      if (field.exposed) {
        if (!allowExposed) throw exposedRefused(plugin.name, field);
        continue;
      }
      if (field.unfit !== null) {
        throw new RuntimeError(
          "InvalidPackage",
          `plugin ${plugin.name}: secret config field ${fieldName(field)} ${field.unfit}; the plugin sees a placeholder in place of a secret, ` +
            `so its schema may only ask for a string (with .min(n) at most ${PLACEHOLDER_MAX_LENGTH} and .max(n) at least ${PLACEHOLDER_MIN_LENGTH}), ` +
            `or mark the field secret(schema, { exposed: true }) to receive the raw value`,
          { data: { plugin: plugin.name, field: fieldName(field) } },
        );
      }
    }
  }
}

export function exposedRefused(plugin: string, field: SecretField): RuntimeError {
  return new RuntimeError(
    "InvalidPackage",
    `plugin ${plugin} receives the raw value of its secret config field ${fieldName(field)} (secret(..., { exposed: true })), and this server refuses exposed secrets (sandbox.allow_exposed_secrets: false)`,
    { data: { plugin, field: fieldName(field) } },
  );
}

/** Checks a real value against the field's length limits; the message never shows the value. */
export function checkSecretValue(field: SecretField, value: string): string | null {
  const length = [...value].length;
  if (length < field.minLength) return `cfg is invalid at ${fieldName(field)}: too short, expected at least ${field.minLength} characters`;
  if (field.maxLength !== null && length > field.maxLength) return `cfg is invalid at ${fieldName(field)}: too long, expected at most ${field.maxLength} characters`;
  return null;
}
