// A form generated from a JSON Schema (a tool's input, a plugin's config): strings,
// numbers with their bounds, enums, booleans, arrays, nested objects, defaults, required
// marks, and descriptions as help text. A secret field (`x-hiagent-secret`) is a password
// input whose value is never shown back. What the schema cannot say in fields (unions,
// free-form objects) is edited as JSON text. Every schema string is rendered as text.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { JsonSchema } from "./types.ts";

type Value = unknown;

function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== "null");
  if (schema.type !== undefined) return schema.type;
  if (schema.enum !== undefined) return "enum";
  if (schema.properties !== undefined) return "object";
  const options = (schema.anyOf ?? schema.oneOf ?? []).filter((s) => s.type !== "null");
  if (options.length === 1 && options[0] !== undefined) return typeOf(options[0]);
  return undefined;
}

/** The schema behind a nullable wrapper (`anyOf: [X, {type: null}]`). */
function unwrap(schema: JsonSchema): JsonSchema {
  const options = (schema.anyOf ?? schema.oneOf ?? []).filter((s) => s.type !== "null");
  if (options.length === 1 && options[0] !== undefined) return { ...options[0], description: schema.description ?? options[0].description, default: schema.default ?? options[0].default };
  return schema;
}

/** The value a fresh form starts with: defaults, nested objects filled in, the rest empty. */
export function initialValue(raw: JsonSchema): Value {
  const schema = unwrap(raw);
  if (schema.default !== undefined) return structuredClone(schema.default);
  if (typeOf(schema) === "object" && schema.properties) {
    const out: Record<string, Value> = {};
    for (const [key, prop] of Object.entries(schema.properties)) {
      const v = initialValue(prop);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  if (typeOf(schema) === "array") return [];
  if (typeOf(schema) === "boolean" && schema.default === undefined) return undefined;
  return undefined;
}

interface FieldProps {
  schema: JsonSchema;
  value: Value;
  onChange(value: Value): void;
  name: string;
  label: string;
  required: boolean;
}

function Help({ schema }: { schema: JsonSchema }) {
  const bounds: string[] = [];
  if (schema.minimum !== undefined) bounds.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) bounds.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) bounds.push(`≤ ${schema.maximum}`);
  if (schema.exclusiveMaximum !== undefined) bounds.push(`< ${schema.exclusiveMaximum}`);
  if (schema.minLength !== undefined) bounds.push(`at least ${schema.minLength} characters`);
  if (schema.maxLength !== undefined) bounds.push(`at most ${schema.maxLength} characters`);
  if (schema.minItems !== undefined) bounds.push(`at least ${schema.minItems} items`);
  if (schema.maxItems !== undefined) bounds.push(`at most ${schema.maxItems} items`);
  if (!schema.description && bounds.length === 0) return null;
  return (
    <small class="help">
      {schema.description}
      {schema.description && bounds.length > 0 ? " · " : ""}
      {bounds.join(", ")}
    </small>
  );
}

function Label({ label, required, htmlFor }: { label: string; required: boolean; htmlFor?: string }) {
  return (
    <label class="field-label" for={htmlFor}>
      {label}
      {required ? <span class="required" title="required"> *</span> : null}
    </label>
  );
}

function JsonField({ value, onChange, name }: { value: Value; onChange(v: Value): void; name: string }) {
  const [text, setText] = useState(value === undefined ? "" : JSON.stringify(value, null, 2));
  const [bad, setBad] = useState(false);
  return (
    <>
      <textarea
        id={name}
        name={name}
        rows={4}
        class={bad ? "invalid" : ""}
        value={text}
        onInput={(e) => {
          const t = e.currentTarget.value;
          setText(t);
          if (t.trim() === "") {
            setBad(false);
            onChange(undefined);
            return;
          }
          try {
            onChange(JSON.parse(t));
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
      />
      {bad ? <small class="error-text">not valid JSON</small> : <small class="help">JSON</small>}
    </>
  );
}

export function Field({ schema: raw, value, onChange, name, label, required }: FieldProps): JSX.Element {
  const schema = unwrap(raw);
  const type = typeOf(schema);
  const secret = schema["x-hiagent-secret"] === true;

  if (type === "object" && schema.properties) {
    const obj = (value ?? {}) as Record<string, Value>;
    return (
      <fieldset class="object" data-field={name}>
        {label ? <legend>{label}{required ? <span class="required"> *</span> : null}</legend> : null}
        <Help schema={schema} />
        {Object.entries(schema.properties).map(([key, prop]) => (
          <Field
            key={key}
            schema={prop}
            name={`${name}.${key}`}
            label={prop.title ?? key}
            required={schema.required?.includes(key) ?? false}
            value={obj[key]}
            onChange={(v) => {
              const next = { ...obj };
              if (v === undefined) delete next[key];
              else next[key] = v;
              onChange(next);
            }}
          />
        ))}
      </fieldset>
    );
  }

  if (type === "array" && schema.items) {
    const items = Array.isArray(value) ? value : [];
    const itemSchema = schema.items;
    return (
      <fieldset class="array" data-field={name}>
        <legend>{label}{required ? <span class="required"> *</span> : null}</legend>
        <Help schema={schema} />
        {items.map((item, i) => (
          <div class="array-item" key={i}>
            <Field schema={itemSchema} name={`${name}.${i}`} label={`#${i + 1}`} required={false} value={item} onChange={(v) => onChange(items.map((x, j) => (j === i ? v : x)))} />
            <button type="button" class="small" onClick={() => onChange(items.filter((_, j) => j !== i))}>Remove</button>
          </div>
        ))}
        <button type="button" class="small" data-add={name} onClick={() => onChange([...items, initialValue(itemSchema)])}>Add item</button>
      </fieldset>
    );
  }

  const id = `f-${name}`;
  let input: JSX.Element;
  if (schema.enum !== undefined) {
    const options = schema.enum;
    input = (
      <select id={id} name={name} value={value === undefined ? "" : JSON.stringify(value)} onChange={(e) => onChange(e.currentTarget.value === "" ? undefined : JSON.parse(e.currentTarget.value))}>
        {(required || schema.default !== undefined) && value !== undefined ? null : <option value="">—</option>}
        {options.map((o) => <option key={JSON.stringify(o)} value={JSON.stringify(o)}>{String(o)}</option>)}
      </select>
    );
  } else if (type === "boolean") {
    input = <input id={id} name={name} type="checkbox" checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} />;
  } else if (type === "number" || type === "integer") {
    input = (
      <input
        id={id}
        name={name}
        type="number"
        step={type === "integer" ? 1 : "any"}
        min={schema.minimum ?? schema.exclusiveMinimum}
        max={schema.maximum ?? schema.exclusiveMaximum}
        required={required}
        value={typeof value === "number" ? String(value) : ""}
        onInput={(e) => {
          const t = e.currentTarget.value;
          onChange(t === "" ? undefined : Number(t));
        }}
      />
    );
  } else if (type === "string" && secret) {
    // Uncontrolled: what is typed is sent, never written back into the page.
    input = (
      <input
        id={id}
        name={name}
        type="password"
        autocomplete="off"
        required={required}
        onInput={(e) => {
          const t = e.currentTarget.value;
          onChange(t === "" && !required ? undefined : t);
        }}
      />
    );
  } else if (type === "string") {
    input = (
      <input
        id={id}
        name={name}
        type="text"
        minLength={schema.minLength}
        maxLength={schema.maxLength}
        required={required}
        value={typeof value === "string" ? value : ""}
        onInput={(e) => {
          const t = e.currentTarget.value;
          onChange(t === "" && !required ? undefined : t);
        }}
      />
    );
  } else {
    input = <JsonField value={value} onChange={onChange} name={id} />;
  }
  return (
    <div class={`field${secret ? " secret" : ""}`} data-field={name}>
      <Label label={label} required={required} htmlFor={id} />
      {input}
      <Help schema={schema} />
    </div>
  );
}

/** A whole schema as a form; an object schema's fields are shown without an outer frame. */
export function SchemaForm({ schema, value, onChange, name }: { schema: JsonSchema; value: Value; onChange(v: Value): void; name: string }) {
  const s = unwrap(schema);
  if (typeOf(s) === "object" && s.properties && Object.keys(s.properties).length === 0) return <p class="muted">No fields.</p>;
  return (
    <div class="schema-root">
      <Field schema={s} value={value} onChange={onChange} name={name} label="" required={false} />
    </div>
  );
}
