// Finds the secret fields of a config by its JSON Schema (SPEC §5: the SDK's
// `secret(...)` marks a field `"x-hiagent-secret": true`) and writes a copy of the
// config with their values replaced, for answers that must not show them. The walk
// follows `properties`, `additionalProperties`, `items`, `anyOf`/`oneOf`/`allOf` and
// local `$ref`s; a value under a secret node is redacted whatever its type.

export const REDACTED = "[redacted]";

type JsonSchema = Record<string, unknown>;

function asSchema(value: unknown): JsonSchema | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonSchema) : null;
}

function deref(schema: JsonSchema, root: JsonSchema, depth: number): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#/") || depth > 32) return schema;
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) node = asSchema(node)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  const target = asSchema(node);
  return target === null ? schema : deref(target, root, depth + 1);
}

/** The schema itself and every branch a value may be checked against at this spot. */
function branches(schema: JsonSchema, root: JsonSchema, depth: number): JsonSchema[] {
  const node = deref(schema, root, depth);
  const out = [node];
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const list = node[key];
    if (Array.isArray(list)) for (const b of list) {
      const s = asSchema(b);
      if (s !== null && depth < 32) out.push(...branches(s, root, depth + 1));
    }
  }
  return out;
}

function redactValue(value: unknown, schema: JsonSchema | null, root: JsonSchema, depth: number): unknown {
  if (schema === null || depth > 64 || value === null || value === undefined) return value;
  const nodes = branches(schema, root, depth);
  if (nodes.some((n) => n["x-hiagent-secret"] === true)) return REDACTED;
  if (Array.isArray(value)) {
    const items = nodes.map((n) => asSchema(n.items)).find((s) => s !== null) ?? null;
    return value.map((v) => redactValue(v, items, root, depth + 1));
  }
  if (typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    // Every branch's schema for this key counts: a secret in any of them redacts.
    const fields = nodes.map((n) => asSchema(asSchema(n.properties)?.[key]) ?? asSchema(n.additionalProperties)).filter((f) => f !== null);
    out[key] = redactValue(v, fields.length === 0 ? null : { anyOf: fields }, root, depth + 1);
  }
  return out;
}

/** A copy of `cfg` with every field its schema marks secret replaced by `REDACTED`. */
export function redactSecrets(cfg: Record<string, unknown>, configSchema: unknown): Record<string, unknown> {
  const root = asSchema(configSchema);
  if (root === null) return { ...cfg };
  return redactValue(cfg, root, root, 0) as Record<string, unknown>;
}
