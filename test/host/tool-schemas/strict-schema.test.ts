// The strict rewrite on schemas the examples do not reach: unions, maps, refs,
// recursion and formats, each checked against the API rules as well as by shape.
import { describe, expect, it } from "vitest";
import { StrictSchemaError, toStrictSchema } from "../../../host/tool-schemas/index.ts";
import { anthropicToolProblems, openAiToolProblems } from "./model-api-rules.ts";

const asOpenAi = (parameters: unknown) => ({ type: "function", name: "t", description: "", parameters, strict: true });
const asAnthropic = (input_schema: unknown) => ({ name: "t", description: "", input_schema, strict: true });

describe("toStrictSchema", () => {
  it("closes nested objects in arrays and unions, and turns oneOf into anyOf", () => {
    const schema = {
      type: "object",
      properties: {
        items: { type: "array", items: { type: "object", properties: { id: { type: "string", format: "uuid" } } }, minItems: 2 },
        target: { oneOf: [{ type: "object", properties: { url: { type: "string", format: "uri" } }, required: ["url"] }, { type: "string" }] },
      },
      required: ["items"],
    };
    for (const dialect of ["openai", "anthropic"] as const) {
      const { schema: out, changes } = toStrictSchema(schema, dialect);
      const check = dialect === "openai" ? openAiToolProblems(asOpenAi(out)) : anthropicToolProblems(asAnthropic(out));
      expect(check, dialect).toEqual([]);
      expect(changes).toContainEqual({ path: "/properties/target", kind: "dropped", keyword: "oneOf", value: "read as anyOf" });
      expect(changes).toContainEqual({ path: "/properties/target", kind: "nullable" });
    }
    const openai = toStrictSchema(schema, "openai");
    // OpenAI takes minItems 2 and format uuid; "uri" is not one of its formats.
    expect(openai.changes).toContainEqual({ path: "/properties/target/oneOf/0/properties/url", kind: "dropped", keyword: "format", value: "uri" });
    expect(openai.changes).not.toContainEqual(expect.objectContaining({ keyword: "minItems" }));
    const anthropic = toStrictSchema(schema, "anthropic");
    expect(anthropic.changes).toContainEqual({ path: "/properties/items", kind: "dropped", keyword: "minItems", value: 2 });
  });

  it("closes a map and says so, and inlines local $refs", () => {
    const schema = {
      type: "object",
      properties: { headers: { type: "object", propertyNames: { type: "string" }, additionalProperties: { type: "string" } }, owner: { $ref: "#/$defs/User" } },
      required: ["headers", "owner"],
      $defs: { User: { type: "object", properties: { login: { type: "string" } }, required: ["login"] } },
    };
    const { schema: out, changes } = toStrictSchema(schema, "openai");
    expect(openAiToolProblems(asOpenAi(out))).toEqual([]);
    expect(changes).toContainEqual({ path: "/properties/headers", kind: "closed", keyword: "additionalProperties", value: { type: "string" } });
    expect(out).toMatchObject({ properties: { owner: { type: "object", properties: { login: { type: "string" } }, additionalProperties: false } } });
    expect(out).not.toHaveProperty("$defs");
  });

  it("refuses a recursive schema and a non-object root", () => {
    const recursive = { type: "object", properties: { child: { $ref: "#" } } };
    expect(() => toStrictSchema(recursive, "anthropic")).toThrow(StrictSchemaError);
    expect(() => toStrictSchema({ type: "string" }, "openai")).toThrow(/root is not an object/);
  });
});
