// A model that calls a tool through a strict schema (ExportToolSchemas with `strict`)
// must send every property, and sends `null` for one it means to leave out. The tool's
// own schema calls that property optional and does not take null, so before the
// sandbox validates the input, a `null` for an optional property that does not accept
// null is read as the property left out. Everything else is validated as sent; input
// without a `null` anywhere is passed through untouched and never parsed.

type JsonSchema = Record<string, unknown>;

function asSchema(value: unknown): JsonSchema | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonSchema) : null;
}

function acceptsNull(schema: JsonSchema | null): boolean {
  if (schema === null) return true;
  const type = schema.type;
  if (type === undefined && schema.anyOf === undefined && schema.oneOf === undefined && schema.enum === undefined && schema.const === undefined) return true;
  if (type === "null" || (Array.isArray(type) && type.includes("null"))) return true;
  if (Array.isArray(schema.enum) && schema.enum.includes(null)) return true;
  if (schema.const === null) return true;
  for (const key of ["anyOf", "oneOf"] as const) {
    const list = schema[key];
    if (Array.isArray(list) && list.some((b) => acceptsNull(asSchema(b)))) return true;
  }
  return false;
}

function strip(value: unknown, schema: JsonSchema | null, depth: number): boolean {
  if (schema === null || depth > 64 || typeof value !== "object" || value === null) return false;
  let changed = false;
  if (Array.isArray(value)) {
    const items = asSchema(schema.items);
    for (const item of value) changed = strip(item, items, depth + 1) || changed;
    return changed;
  }
  const properties = asSchema(schema.properties);
  if (properties === null) return false;
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const object = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(object)) {
    const field = Object.hasOwn(properties, key) ? asSchema(properties[key]) : null;
    if (field === null) continue;
    if (v === null && !required.has(key) && !acceptsNull(field)) {
      delete object[key];
      changed = true;
    } else changed = strip(v, field, depth + 1) || changed;
  }
  return changed;
}

/** `inputJson` with each `null` given for an optional, non-nullable property left out. */
export function dropOptionalNulls(inputJson: string, inputSchema: unknown): string {
  if (!inputJson.includes("null")) return inputJson;
  let value: unknown;
  try {
    value = JSON.parse(inputJson);
  } catch {
    return inputJson;
  }
  return strip(value, asSchema(inputSchema), 0) ? JSON.stringify(value) : inputJson;
}
