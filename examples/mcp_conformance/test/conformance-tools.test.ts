// The conformance tools in the real sandbox: what each returns over /v1 (the tagged
// content JSON of the SDK's `content` helpers), the failing tool's error, the streamed
// steps, and the metadata (title, annotations, a JSON Schema 2020-12 input with $defs).
import { loadPlugin, type LoadedPlugin, type PluginCallError } from "hiagent-plugin-sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PACKAGE = new URL("..", import.meta.url);
let plugin: LoadedPlugin;

beforeAll(async () => {
  plugin = await loadPlugin(PACKAGE);
});

afterAll(async () => {
  await plugin?.close();
});

describe("content results", () => {
  it("returns text as a tagged text block", async () => {
    expect(await plugin.call("Conformance", "test_simple_text")).toEqual({ $content: "text", text: "This is a simple text response for testing." });
  });

  it("returns a PNG as a base64 image block", async () => {
    const block = await plugin.call<{ $content: string; data: string; mimeType: string }>("Conformance", "test_image_content");
    expect(block).toMatchObject({ $content: "image", mimeType: "image/png" });
    expect(Buffer.from(block.data, "base64").subarray(1, 4).toString("latin1")).toBe("PNG");
  });

  it("returns a WAV as a base64 audio block", async () => {
    const block = await plugin.call<{ data: string }>("Conformance", "test_audio_content");
    expect(block).toMatchObject({ $content: "audio", mimeType: "audio/wav" });
    expect(Buffer.from(block.data, "base64").subarray(0, 4).toString("latin1")).toBe("RIFF");
  });

  it("returns an embedded resource and a list of mixed blocks", async () => {
    expect(await plugin.call("Conformance", "test_embedded_resource")).toEqual({
      $content: "resource",
      resource: { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." },
    });
    const mixed = await plugin.call<{ $content: string }[]>("Conformance", "test_multiple_content_types");
    expect(mixed.map((b) => b.$content)).toEqual(["text", "image", "resource"]);
  });
});

describe("behaviour", () => {
  it("fails on purpose with a ToolError", async () => {
    const err = await plugin.call("Conformance", "test_error_handling").then(() => null, (e: unknown) => e as PluginCallError);
    expect(err?.code).toBe("ToolError");
    expect(err?.message).toContain("This tool intentionally returns an error for testing");
  });

  it("streams three steps", async () => {
    const steps: string[] = [];
    for await (const step of plugin.stream<string>("Conformance", "test_tool_with_progress")) steps.push(step);
    expect(steps).toEqual(["0/100 ", "50/100 ", "100/100"]);
  });

  it("logs while it runs and returns text", async () => {
    expect(await plugin.call("Conformance", "test_tool_with_logging")).toEqual({ $content: "text", text: "Tool with logging executed successfully" });
  });
});

describe("metadata", () => {
  it("carries title and annotations, and a 2020-12 input schema with $defs", () => {
    const tools = plugin.meta.plugins[0]!.tools;
    expect(tools.test_simple_text).toMatchObject({ title: "Simple text", annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false } });
    expect(tools.json_schema_2020_12_tool!.input_schema).toMatchObject({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      additionalProperties: false,
      properties: { address: { $ref: "#/$defs/address" } },
      $defs: { address: { type: "object" } },
    });
  });
});
