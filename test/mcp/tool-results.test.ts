// How a tool's value becomes an MCP tools/call result: plain values as structuredContent
// plus text, the SDK's tagged content as content blocks, failures as isError results.
import { describe, expect, it } from "vitest";
import { content } from "../../sdk/src/index.ts";
import { RuntimeError } from "../../sandbox/errors.ts";
import { failureResult, successResult } from "../../host/mcp/tool-results.ts";
import type { ToolMeta } from "../../host/tools/index.ts";

const tool = (output_schema: unknown = null): ToolMeta => ({ name: "t", description: "", labels: {}, input_schema: { type: "object" }, output_schema, stream: false });
const usage = { cpu_ms: 1, wall_ms: 2, heap_peak_bytes: 3, wasm_memory_bytes: 0, fetch_count: 0, fetch_bytes: 0 };

describe("plain values", () => {
  it("answers an object as structuredContent and its JSON as text", () => {
    expect(successResult({ a: 1 }, tool(), usage)).toEqual({ content: [{ type: "text", text: '{"a":1}' }], structuredContent: { a: 1 }, _meta: { "hiagent/usage": usage } });
  });

  it("wraps anything else as {result}; a string is its own text", () => {
    expect(successResult("hi", tool(), undefined)).toEqual({ content: [{ type: "text", text: "hi" }], structuredContent: { result: "hi" } });
    expect(successResult([1, 2], tool(), undefined).structuredContent).toEqual({ result: [1, 2] });
    expect(successResult(null, tool(), undefined)).toEqual({ content: [{ type: "text", text: "null" }], structuredContent: { result: null } });
  });

  it("keeps an object that merely looks tagged but is not a valid block as a plain value", () => {
    const value = { $content: "image", data: 1 };
    expect(successResult(value, tool(), undefined).structuredContent).toEqual(value);
  });
});

describe("content helpers", () => {
  it("turns every kind of block into its MCP content block", () => {
    const blocks = [
      content.text("t"),
      content.image(new Uint8Array([1, 2, 3]), "image/png"),
      content.audio("AAAA", "audio/wav"),
      content.resourceLink("https://example.com/a", "a", { mimeType: "text/plain" }),
      content.resource("test://r", { text: "x" }, "text/plain"),
      content.resource("test://b", { bytes: new Uint8Array([255]) }),
    ];
    expect(successResult(JSON.parse(JSON.stringify(blocks)), tool(), undefined)).toEqual({
      content: [
        { type: "text", text: "t" },
        { type: "image", data: "AQID", mimeType: "image/png" },
        { type: "audio", data: "AAAA", mimeType: "audio/wav" },
        { type: "resource_link", uri: "https://example.com/a", name: "a", mimeType: "text/plain" },
        { type: "resource", resource: { uri: "test://r", mimeType: "text/plain", text: "x" } },
        { type: "resource", resource: { uri: "test://b", blob: "/w==" } },
      ],
    });
  });

  it("adds structuredContent when the tool declares an output schema", () => {
    const result = successResult(content.text("t"), tool({ type: "object" }), undefined);
    expect(result.structuredContent).toEqual({ $content: "text", text: "t" });
  });
});

describe("failures", () => {
  it("are isError results naming the code, with the error body in _meta", () => {
    const err = new RuntimeError("ToolTimeout", "too slow");
    expect(failureResult(err, usage)).toEqual({
      isError: true,
      content: [{ type: "text", text: "ToolTimeout: too slow" }],
      _meta: { "hiagent/error": { code: "ToolTimeout", message: "too slow" }, "hiagent/usage": usage },
    });
  });
});
