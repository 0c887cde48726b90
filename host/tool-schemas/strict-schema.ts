// Rewrites a tool's input JSON Schema into the subset a model API accepts in strict
// mode (OpenAI Structured Outputs / Anthropic strict tool use): every object closed
// (`additionalProperties: false`) with every property required, a property that was
// optional made a `null` union, and every keyword the API does not take moved into the
// description as text, so the model still reads the constraint. What changed is
// reported per schema path. The runtime keeps validating calls against the full
// schema (and reads a `null` for an optional property as absent).

export type StrictDialect = "openai" | "anthropic";

type JsonSchema = Record<string, unknown>;

export interface SchemaChange {
  /** JSON Pointer of the schema node, e.g. `/properties/num_results`. */
  path: string;
  /** `dropped`: the keyword left the schema (its value is in the description); `nullable`: an optional property became a null union; `closed`: an open map was closed. */
  kind: "dropped" | "nullable" | "closed";
  keyword?: string;
  value?: unknown;
}

export interface StrictResult {
  schema: JsonSchema;
  changes: SchemaChange[];
}

/** Keywords both APIs take in strict mode; `properties`, `required`, `additionalProperties` and `items` are rebuilt. */
const STRUCTURE = new Set(["type", "description", "enum", "const", "anyOf", "properties", "required", "additionalProperties", "items"]);

/** OpenAI's string formats (Structured Outputs, supported schemas). */
export const OPENAI_FORMATS = new Set(["date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"]);
/** Anthropic's string formats (structured outputs, JSON Schema limitations). */
export const ANTHROPIC_FORMATS = new Set(["date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"]);

/** Whether `dialect` takes `keyword` with this `value` in strict mode (beyond STRUCTURE). */
export function strictKeywordAllowed(dialect: StrictDialect, keyword: string, value: unknown): boolean {
  if (STRUCTURE.has(keyword)) return true;
  if (dialect === "openai") {
    if (keyword === "format") return typeof value === "string" && OPENAI_FORMATS.has(value);
    return ["pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems"].includes(keyword);
  }
  if (keyword === "format") return typeof value === "string" && ANTHROPIC_FORMATS.has(value);
  return keyword === "minItems" && (value === 0 || value === 1);
}

function asSchema(value: unknown): JsonSchema | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonSchema) : null;
}

const pointer = (path: string, ...parts: (string | number)[]): string =>
  path + parts.map((p) => `/${String(p).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");

function allowsNull(schema: JsonSchema): boolean {
  const type = schema.type;
  if (type === "null" || (Array.isArray(type) && type.includes("null"))) return true;
  if (Array.isArray(schema.enum) && schema.enum.includes(null)) return true;
  if (schema.const === null) return true;
  return Array.isArray(schema.anyOf) && schema.anyOf.some((b) => asSchema(b) !== null && allowsNull(b as JsonSchema));
}

/** `schema` or null: a plain `type` gains "null", anything else is wrapped in an anyOf. */
function withNull(schema: JsonSchema): JsonSchema {
  if (allowsNull(schema)) return schema;
  const plainType = typeof schema.type === "string" || Array.isArray(schema.type);
  if (plainType && schema.enum === undefined && schema.const === undefined && schema.anyOf === undefined) {
    return { ...schema, type: [...(Array.isArray(schema.type) ? (schema.type as unknown[]) : [schema.type]), "null"] };
  }
  return { anyOf: [schema, { type: "null" }] };
}

function describe(text: string | undefined, notes: string[]): string | undefined {
  if (notes.length === 0) return text;
  const extra = `${notes.join("; ")}.`;
  return text === undefined || text === "" ? extra : `${text} (${extra})`;
}

function noteOf(keyword: string, value: unknown): string {
  if (keyword === "default") return `default ${JSON.stringify(value)}`;
  if (keyword === "title" && typeof value === "string") return value;
  return `${keyword} ${JSON.stringify(value)}`;
}

class StrictRewriter {
  readonly changes: SchemaChange[] = [];
  constructor(
    private readonly dialect: StrictDialect,
    private readonly root: JsonSchema,
  ) {}

  node(input: JsonSchema, path: string, seen: readonly JsonSchema[]): JsonSchema {
    const source = this.deref(input, path, seen);
    const chain = [...seen, source];
    const out: JsonSchema = {};
    const notes: string[] = [];
    for (const [keyword, value] of Object.entries(source)) {
      if (keyword === "$schema" || keyword === "$defs" || keyword === "definitions" || keyword === "$ref" || keyword === "$id") continue;
      if (keyword === "properties" || keyword === "required" || keyword === "additionalProperties" || keyword === "items" || keyword === "anyOf") continue;
      if (keyword === "description") continue;
      if (keyword === "oneOf" || keyword === "allOf") continue;
      if (strictKeywordAllowed(this.dialect, keyword, value)) {
        out[keyword] = value;
        continue;
      }
      notes.push(noteOf(keyword, value));
      this.changes.push({ path, kind: "dropped", keyword, value });
    }
    // oneOf becomes anyOf (the runtime still enforces "exactly one"); a single-branch allOf is merged.
    const union = source.anyOf ?? source.oneOf;
    if (Array.isArray(union)) {
      if (source.oneOf !== undefined) this.changes.push({ path, kind: "dropped", keyword: "oneOf", value: "read as anyOf" });
      out.anyOf = union.map((b, i) => this.node(asSchema(b) ?? {}, pointer(path, source.anyOf !== undefined ? "anyOf" : "oneOf", i), chain));
    }
    if (Array.isArray(source.allOf)) {
      if (source.allOf.length === 1 && asSchema(source.allOf[0]) !== null) {
        Object.assign(out, this.node(source.allOf[0] as JsonSchema, pointer(path, "allOf", 0), chain));
      } else {
        notes.push(`allOf ${JSON.stringify(source.allOf)}`);
        this.changes.push({ path, kind: "dropped", keyword: "allOf", value: source.allOf });
      }
    }
    const items = asSchema(source.items);
    if (items !== null) out.items = this.node(items, pointer(path, "items"), chain);
    else if (source.items !== undefined) {
      notes.push(noteOf("items", source.items));
      this.changes.push({ path, kind: "dropped", keyword: "items", value: source.items });
    }
    if (this.isObject(source)) this.closeObject(source, out, path, chain, notes);
    const description = describe(typeof source.description === "string" ? source.description : undefined, notes);
    if (description !== undefined) out.description = description;
    return out;
  }

  private isObject(schema: JsonSchema): boolean {
    const type = schema.type;
    return type === "object" || (Array.isArray(type) && type.includes("object")) || schema.properties !== undefined;
  }

  private closeObject(source: JsonSchema, out: JsonSchema, path: string, chain: readonly JsonSchema[], notes: string[]): void {
    const properties = asSchema(source.properties) ?? {};
    const required = new Set(Array.isArray(source.required) ? source.required.filter((r): r is string => typeof r === "string") : []);
    const rebuilt: JsonSchema = {};
    for (const [name, value] of Object.entries(properties)) {
      const at = pointer(path, "properties", name);
      let field = this.node(asSchema(value) ?? {}, at, chain);
      if (!required.has(name)) {
        const nullable = withNull(field);
        if (nullable !== field) this.changes.push({ path: at, kind: "nullable" });
        field = nullable;
      }
      rebuilt[name] = field;
    }
    if (source.additionalProperties !== undefined && source.additionalProperties !== false) {
      notes.push(`additional properties ${JSON.stringify(source.additionalProperties)} are accepted too, but cannot be sent in strict mode`);
      this.changes.push({ path, kind: "closed", keyword: "additionalProperties", value: source.additionalProperties });
    }
    out.type ??= "object";
    out.properties = rebuilt;
    out.required = Object.keys(rebuilt);
    out.additionalProperties = false;
  }

  /** Follows a local `$ref`; a reference back into its own chain (recursion) is refused. */
  private deref(schema: JsonSchema, path: string, seen: readonly JsonSchema[]): JsonSchema {
    const ref = schema.$ref;
    if (typeof ref !== "string") return schema;
    if (!ref.startsWith("#")) throw new StrictSchemaError(`${path || "/"}: a $ref outside the schema (${ref}) cannot be resolved`);
    let node: unknown = this.root;
    for (const part of ref.slice(2).split("/").filter((p) => p !== "")) node = asSchema(node)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    const target = asSchema(node);
    if (target === null) throw new StrictSchemaError(`${path || "/"}: $ref ${ref} points nowhere`);
    if (seen.includes(target)) throw new StrictSchemaError(`${path || "/"}: the schema is recursive ($ref ${ref}), which strict mode cannot express`);
    const { $ref: _ref, ...siblings } = schema;
    return Object.keys(siblings).length === 0 ? this.deref(target, path, seen) : { ...this.deref(target, path, seen), ...siblings };
  }
}

/** A schema strict mode cannot express at all (the tool is then exported without strict). */
export class StrictSchemaError extends Error {}

/**
 * The strict form of an object-rooted input schema for `dialect`, with what changed.
 * Throws StrictSchemaError when strict mode cannot express it (a recursive schema, a
 * root that is not an object).
 */
export function toStrictSchema(schema: unknown, dialect: StrictDialect): StrictResult {
  const root = asSchema(schema) ?? {};
  const rewriter = new StrictRewriter(dialect, root);
  const out = rewriter.node(root, "", []);
  if (out.type !== "object") throw new StrictSchemaError("the input schema's root is not an object");
  return { schema: out, changes: rewriter.changes };
}
