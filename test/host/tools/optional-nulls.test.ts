// A strict-mode model's null for an optional property is read as absent; every other
// null is left for the full schema to judge, and input without null is not touched.
import { describe, expect, it } from "vitest";
import { dropOptionalNulls } from "../../../host/tools/optional-nulls.ts";

const schema = {
  type: "object",
  properties: {
    text: { type: "string" },
    count: { type: "integer", default: 2 },
    note: { anyOf: [{ type: "string" }, { type: "null" }] },
    items: { type: "array", items: { type: "object", properties: { id: { type: "string" }, tag: { type: "string" } }, required: ["id"] } },
  },
  required: ["text"],
};

describe("dropOptionalNulls", () => {
  it("drops a null for an optional, non-nullable property, nested ones too", () => {
    const out = dropOptionalNulls(JSON.stringify({ text: "a", count: null, items: [{ id: "1", tag: null }] }), schema);
    expect(JSON.parse(out)).toEqual({ text: "a", items: [{ id: "1" }] });
  });

  it("keeps a null the schema accepts, a null for a required property, and unknown properties", () => {
    const input = JSON.stringify({ text: null, note: null, extra: null, items: [{ id: null }] });
    expect(dropOptionalNulls(input, schema)).toBe(input);
  });

  it("passes input without a null, or that is not JSON, through as the same text", () => {
    const input = '{ "text": "nullable words", "count": 3 }';
    expect(dropOptionalNulls(input, schema)).toBe(input);
    expect(dropOptionalNulls('{"text": nul', schema)).toBe('{"text": nul');
    expect(dropOptionalNulls('{"text":"x","count":null}', undefined)).toBe('{"text":"x","count":null}');
  });
});
