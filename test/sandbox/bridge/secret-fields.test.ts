// Secret fields read from a config JSON Schema, and the install rules: a field that
// could never hold a placeholder, or an exposed secret the operator refuses, is
// InvalidPackage with a message naming the plugin and the field.
import { describe, expect, it } from "vitest";
import { checkSecretFields, secretFieldsOf } from "../../../sandbox/bridge/secret-fields.ts";
import type { PluginMeta } from "../../../sandbox/sandbox-api.ts";

const plugin = (props: Record<string, unknown>): PluginMeta => ({
  name: "P",
  description: "",
  category: "",
  labels: {},
  icon: "",
  config_required: true,
  config_schema: { type: "object", properties: props },
  tools: {},
});

describe("secretFieldsOf", () => {
  it("finds marked fields at any depth, inside anyOf, with their length limits", () => {
    const fields = secretFieldsOf({
      type: "object",
      properties: {
        a: { type: "string", minLength: 1, maxLength: 200, "x-hiagent-secret": true },
        b: { type: "object", properties: { c: { anyOf: [{ type: "string", "x-hiagent-secret": true, "x-hiagent-secret-exposed": true }, { type: "null" }] } } },
        d: { type: "string" },
      },
    });
    expect(fields.map((f) => ({ path: f.path, exposed: f.exposed, min: f.minLength, max: f.maxLength }))).toEqual([
      { path: ["a"], exposed: false, min: 1, max: 200 },
      { path: ["b", "c"], exposed: true, min: 0, max: null },
    ]);
    expect(secretFieldsOf(null)).toEqual([]);
    const nested = secretFieldsOf({
      type: "object",
      properties: { m: { type: "object", additionalProperties: { $ref: "#/$defs/s" } }, l: { type: "array", items: { type: "string", pattern: "x", "x-hiagent-secret": true } } },
      $defs: { s: { type: "string", "x-hiagent-secret": true } },
    });
    expect(nested.map((f) => [f.path.join("."), f.unfit])).toEqual([["m.*", null], ["l.*", expect.stringMatching(/pattern/)]]);
  });
});

describe("checkSecretFields", () => {
  it.each([
    [{ type: "string", pattern: "^sk-" }, /pattern/],
    [{ type: "string", format: "email" }, /format/],
    [{ type: "string", maxLength: 20 }, /at most 20/],
    [{ type: "number" }, /not a string/],
  ])("refuses a secret field that cannot hold a placeholder (%j)", (field, why) => {
    const meta = plugin({ key: { ...field, "x-hiagent-secret": true } });
    expect(() => checkSecretFields([meta], true)).toThrow(expect.objectContaining({ code: "InvalidPackage", message: expect.stringMatching(why) }));
  });

  it("accepts plain strings with .min, and exposed fields only when the operator allows them", () => {
    expect(() => checkSecretFields([plugin({ key: { type: "string", minLength: 10, "x-hiagent-secret": true } })], true)).not.toThrow();
    const exposed = plugin({ key: { type: "string", pattern: "^sk-", "x-hiagent-secret": true, "x-hiagent-secret-exposed": true } });
    expect(() => checkSecretFields([exposed], true)).not.toThrow();
    expect(() => checkSecretFields([exposed], false)).toThrow(expect.objectContaining({ code: "InvalidPackage", message: expect.stringMatching(/allow_exposed_secrets: false/) }));
  });
});
