// The model APIs' documented rules for tool definitions, written down as checks, so
// exported schemas are judged against the APIs and not against our own exporter:
// - OpenAI function tools (Responses API `tools[]` of type "function"; Structured
//   Outputs "Supported schemas" for `strict: true`): name ^[a-zA-Z0-9_-]{1,64}$; an
//   object root that is not anyOf; every object with additionalProperties false and
//   every property required; only the supported keywords (type, enum, const, anyOf,
//   $ref/$defs, properties, required, additionalProperties, items, description;
//   strings: pattern and the listed formats; numbers: multipleOf, maximum,
//   exclusiveMaximum, minimum, exclusiveMinimum; arrays: minItems, maxItems); at most
//   5000 object properties, 10 levels of nesting, 1000 enum values and 120,000
//   characters of property names, definition names, enum and const values.
// - Anthropic tools (Messages API `tools[]`; strict tool use and the structured-outputs
//   "JSON Schema limitations"): name ^[a-zA-Z0-9_-]{1,128}$; input_schema an object;
//   with strict, every object additionalProperties false; no numerical constraints
//   (minimum, maximum, multipleOf …), no string length constraints, array minItems only
//   0 or 1, no recursive schemas, the listed string formats only, enums of primitives.
// - MCP tools (`tools/list`, revisions 2025-06-18 / 2025-11-25): name of 1–128 of
//   A–Z a–z 0–9 _ - . ; inputSchema and outputSchema JSON Schema objects with
//   type "object"; only the Tool fields the schema defines.

type Json = Record<string, unknown>;

const asObject = (v: unknown): Json | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null);

const OPENAI_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const ANTHROPIC_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const MCP_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

const OPENAI_KEYWORDS = new Set([
  "type", "enum", "const", "anyOf", "$ref", "$defs", "properties", "required", "additionalProperties", "items", "description",
  "pattern", "format", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "minItems", "maxItems",
]);
const OPENAI_FORMATS = new Set(["date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"]);

const ANTHROPIC_KEYWORDS = new Set(["type", "enum", "const", "anyOf", "allOf", "$ref", "$defs", "definitions", "default", "properties", "required", "additionalProperties", "items", "description", "format", "minItems"]);
const ANTHROPIC_FORMATS = new Set(["date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"]);

interface Walk {
  node: Json;
  path: string;
  depth: number;
}

/** Every subschema with its path and object-nesting depth. */
function subschemas(root: Json): Walk[] {
  const out: Walk[] = [];
  const visit = (node: Json, path: string, depth: number): void => {
    out.push({ node, path, depth });
    const nextDepth = node.type === "object" || node.properties !== undefined ? depth + 1 : depth;
    for (const [name, child] of Object.entries(asObject(node.properties) ?? {})) {
      const s = asObject(child);
      if (s !== null) visit(s, `${path}/properties/${name}`, nextDepth);
    }
    const items = asObject(node.items);
    if (items !== null) visit(items, `${path}/items`, depth);
    for (const key of ["anyOf", "allOf", "oneOf"]) {
      const list = node[key];
      if (Array.isArray(list)) list.forEach((b, i) => asObject(b) !== null && visit(b as Json, `${path}/${key}/${i}`, depth));
    }
    for (const key of ["$defs", "definitions"]) {
      for (const [name, def] of Object.entries(asObject(node[key]) ?? {})) {
        const s = asObject(def);
        if (s !== null) visit(s, `${path}/${key}/${name}`, depth);
      }
    }
  };
  visit(root, "", 0);
  return out;
}

function isObjectNode(node: Json): boolean {
  return node.type === "object" || (Array.isArray(node.type) && node.type.includes("object")) || node.properties !== undefined;
}

function closedAndComplete(walks: Walk[], requireAll: boolean): string[] {
  const problems: string[] = [];
  for (const { node, path } of walks) {
    if (!isObjectNode(node)) continue;
    if (node.additionalProperties !== false) problems.push(`${path || "/"}: additionalProperties must be false`);
    if (!requireAll) continue;
    const props = Object.keys(asObject(node.properties) ?? {});
    const required = new Set(Array.isArray(node.required) ? node.required : []);
    for (const p of props) if (!required.has(p)) problems.push(`${path}/properties/${p}: every property must be required`);
  }
  return problems;
}

function hasRecursion(root: Json): boolean {
  const refs = (node: Json): string[] => subschemas(node).map((w) => w.node.$ref).filter((r): r is string => typeof r === "string");
  const resolve = (ref: string): Json | null => {
    let node: unknown = root;
    for (const part of ref.replace(/^#\/?/, "").split("/").filter((p) => p !== "")) node = asObject(node)?.[part];
    return asObject(node);
  };
  const visiting = new Set<string>();
  const cyclic = (ref: string): boolean => {
    if (visiting.has(ref)) return true;
    const target = resolve(ref);
    if (target === null) return false;
    visiting.add(ref);
    const found = refs(target).some(cyclic);
    visiting.delete(ref);
    return found;
  };
  return refs(root).some(cyclic);
}

export function openAiToolProblems(tool: unknown): string[] {
  const t = asObject(tool);
  if (t === null) return ["not an object"];
  const problems: string[] = [];
  if (t.type !== "function") problems.push('type must be "function"');
  if (typeof t.name !== "string" || !OPENAI_NAME.test(t.name)) problems.push(`name ${JSON.stringify(t.name)} does not match ${OPENAI_NAME}`);
  if (t.description !== undefined && typeof t.description !== "string") problems.push("description must be a string");
  for (const key of Object.keys(t)) if (!["type", "name", "description", "parameters", "strict"].includes(key)) problems.push(`unknown field ${key}`);
  const params = asObject(t.parameters);
  if (params === null) return [...problems, "parameters must be a JSON Schema object"];
  if (params.type !== "object") problems.push("parameters must have type object");
  if (typeof t.strict !== "boolean") problems.push("strict must be a boolean");
  if (t.strict !== true) return problems;
  if (params.anyOf !== undefined) problems.push("the root must not be anyOf");
  const walks = subschemas(params);
  problems.push(...closedAndComplete(walks, true));
  let properties = 0;
  let enumValues = 0;
  let chars = 0;
  for (const { node, path, depth } of walks) {
    for (const [keyword, value] of Object.entries(node)) {
      if (!OPENAI_KEYWORDS.has(keyword)) problems.push(`${path || "/"}: keyword ${keyword} is not supported in strict mode`);
      if (keyword === "format" && !OPENAI_FORMATS.has(String(value))) problems.push(`${path}: format ${String(value)} is not supported`);
    }
    if (depth > 10) problems.push(`${path}: more than 10 levels of nesting`);
    const names = Object.keys(asObject(node.properties) ?? {});
    properties += names.length;
    chars += names.reduce((n, name) => n + name.length, 0);
    if (Array.isArray(node.enum)) {
      enumValues += node.enum.length;
      chars += node.enum.reduce<number>((n, v) => n + String(v).length, 0);
    }
    if (typeof node.const === "string") chars += node.const.length;
    chars += Object.keys(asObject(node.$defs) ?? {}).reduce((n, name) => n + name.length, 0);
  }
  if (properties > 5000) problems.push(`${properties} object properties (at most 5000)`);
  if (enumValues > 1000) problems.push(`${enumValues} enum values (at most 1000)`);
  if (chars > 120_000) problems.push(`${chars} characters of names and values (at most 120,000)`);
  return problems;
}

export function anthropicToolProblems(tool: unknown): string[] {
  const t = asObject(tool);
  if (t === null) return ["not an object"];
  const problems: string[] = [];
  if (typeof t.name !== "string" || !ANTHROPIC_NAME.test(t.name)) problems.push(`name ${JSON.stringify(t.name)} does not match ${ANTHROPIC_NAME}`);
  if (t.description !== undefined && typeof t.description !== "string") problems.push("description must be a string");
  for (const key of Object.keys(t)) if (!["name", "description", "input_schema", "strict"].includes(key)) problems.push(`unknown field ${key}`);
  const schema = asObject(t.input_schema);
  if (schema === null) return [...problems, "input_schema must be a JSON Schema object"];
  if (schema.type !== "object") problems.push("input_schema must have type object");
  if (t.strict === undefined) return problems;
  if (t.strict !== true) problems.push("strict, when present, is true");
  const walks = subschemas(schema);
  problems.push(...closedAndComplete(walks, false));
  if (hasRecursion(schema)) problems.push("recursive schemas are not supported");
  for (const { node, path } of walks) {
    for (const [keyword, value] of Object.entries(node)) {
      if (!ANTHROPIC_KEYWORDS.has(keyword)) problems.push(`${path || "/"}: keyword ${keyword} is not supported in strict mode`);
      if (keyword === "format" && !ANTHROPIC_FORMATS.has(String(value))) problems.push(`${path}: format ${String(value)} is not supported`);
      if (keyword === "minItems" && value !== 0 && value !== 1) problems.push(`${path}: minItems may only be 0 or 1`);
      if (keyword === "enum" && (!Array.isArray(value) || value.some((v) => typeof v === "object" && v !== null))) problems.push(`${path}: enum values must be primitives`);
    }
  }
  return problems;
}

export function mcpToolProblems(tool: unknown): string[] {
  const t = asObject(tool);
  if (t === null) return ["not an object"];
  const problems: string[] = [];
  if (typeof t.name !== "string" || !MCP_NAME.test(t.name)) problems.push(`name ${JSON.stringify(t.name)} does not match ${MCP_NAME}`);
  for (const key of Object.keys(t)) if (!["name", "title", "description", "inputSchema", "outputSchema", "annotations", "icons", "execution", "_meta"].includes(key)) problems.push(`unknown field ${key}`);
  for (const key of ["title", "description"]) if (t[key] !== undefined && typeof t[key] !== "string") problems.push(`${key} must be a string`);
  const input = asObject(t.inputSchema);
  if (input === null || input.type !== "object") problems.push('inputSchema must be an object schema with type "object"');
  if (t.outputSchema !== undefined && asObject(t.outputSchema)?.type !== "object") problems.push('outputSchema must be an object schema with type "object"');
  return problems;
}
