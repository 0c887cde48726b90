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

/** The schema itself and the branches of its anyOf/oneOf/allOf (`.nullable()` puts the mark in one). */
function variants(schema: Json): Json[] {
  const out = [schema];
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const list = schema[key];
    if (Array.isArray(list)) for (const branch of list) if (isObject(branch)) out.push(...variants(branch));
  }
  return out;
}

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

function collect(schema: unknown, path: string[], out: SecretField[], depth: number): void {
  if (!isObject(schema) || depth > 32) return;
  for (const variant of variants(schema)) {
    if (variant["x-hiagent-secret"] === true) {
      out.push(fieldOf(path, variant));
      return;
    }
  }
  for (const variant of variants(schema)) {
    const props = variant.properties;
    if (!isObject(props)) continue;
    for (const [name, sub] of Object.entries(props)) collect(sub, [...path, name], out, depth + 1);
  }
}

/** The secret fields of a config schema (JSON Schema as describePlugin writes it). */
export function secretFieldsOf(configSchema: unknown): SecretField[] {
  const out: SecretField[] = [];
  collect(configSchema, [], out, 0);
  return out.filter((f) => f.path.length > 0);
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
