// The naming rule shared by MCP and ExportToolSchemas: valid for each target, unique
// in a listing, stable whatever the listing's order, readable when nothing forces a hash.
import { describe, expect, it } from "vitest";
import { FUNCTION_NAME_RULE, MCP_NAME_RULE, assignToolNames, toolByName, type ToolId } from "../../../host/tools/index.ts";

const id = (pkg: string, plugin: string, tool: string): ToolId => ({ pkg, plugin, tool });

describe("assignToolNames", () => {
  it("joins pkg, plugin and tool across a deployment, keeping the parts readable", () => {
    const names = assignToolNames([id("hiagent_plugin_math", "Math", "add"), id("hiagent_plugin_bingsearch", "Bing", "search")], "deployment", MCP_NAME_RULE);
    expect(names).toEqual(["hiagent_plugin_math_Math_add", "hiagent_plugin_bingsearch_Bing_search"]);
  });

  it("keeps dots for MCP and replaces them (and spaces, non-ASCII) with _ for the model APIs", () => {
    const tool = id("acme.tools", "Ünit Conv", "to-km");
    expect(assignToolNames([tool], "deployment", MCP_NAME_RULE)).toEqual(["acme.tools__nit_Conv_to-km"]);
    expect(assignToolNames([tool], "deployment", FUNCTION_NAME_RULE)).toEqual(["acme_tools__nit_Conv_to-km"]);
  });

  it("in one package: the bare tool name when unique there, else plugin_tool", () => {
    const ids = [id("p", "A", "search"), id("p", "B", "search"), id("p", "B", "fetch")];
    expect(assignToolNames(ids, "package", MCP_NAME_RULE)).toEqual(["A_search", "B_search", "fetch"]);
  });

  it("cuts a long name to the limit with a stable hash suffix, the same in any order", () => {
    const long = id("p".repeat(60), "Plugin", "tool_with_a_long_name");
    const other = id("short", "P", "t");
    const [first] = assignToolNames([long, other], "deployment", FUNCTION_NAME_RULE);
    const reversed = assignToolNames([other, long], "deployment", FUNCTION_NAME_RULE);
    expect(first).toHaveLength(64);
    expect(first).toMatch(/^p+_[0-9a-f]{8}$/);
    expect(reversed[1]).toBe(first);
    expect(first).toMatch(FUNCTION_NAME_RULE.pattern);
  });

  it("never lets two tools share a name: both ambiguous joins are hashed apart", () => {
    const a = id("a_b", "c", "d");
    const b = id("a", "b_c", "d");
    const names = assignToolNames([a, b], "deployment", MCP_NAME_RULE);
    expect(new Set(names).size).toBe(2);
    for (const n of names) expect(n).toMatch(/^a_b_c_d_[0-9a-f]{8}$/);
    expect(assignToolNames([b, a], "deployment", MCP_NAME_RULE)).toEqual([names[1], names[0]]);
    // Sanitising can clash too ("x y" and "x_y").
    const spaced = assignToolNames([id("p", "x y", "t"), id("p", "x_y", "t")], "deployment", FUNCTION_NAME_RULE);
    expect(new Set(spaced).size).toBe(2);
  });

  it("every name of a large mixed listing matches its rule and is unique; toolByName finds each back", () => {
    const ids: ToolId[] = [];
    for (let i = 0; i < 200; i++) ids.push(id(`pkg.${i % 7}`, i % 2 === 0 ? "Plug in" : "Plug_in", `t${i % 50}`));
    for (const rule of [MCP_NAME_RULE, FUNCTION_NAME_RULE]) {
      const names = assignToolNames(ids, "deployment", rule);
      expect(new Set(names).size).toBe(new Set(ids.map((t) => `${t.pkg}\0${t.plugin}\0${t.tool}`)).size);
      for (const n of names) expect(n).toMatch(rule.pattern);
      expect(toolByName(ids, "deployment", rule, names[17] ?? "")).toEqual(ids[17]);
    }
    expect(toolByName(ids, "deployment", MCP_NAME_RULE, "nope")).toBeUndefined();
  });
});
