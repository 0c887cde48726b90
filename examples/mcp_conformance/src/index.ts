// The tools the official MCP conformance suite (`@modelcontextprotocol/conformance
// server`) calls in its tool, content, logging, progress, error and JSON Schema
// scenarios, written as an ordinary plugin: served through the runtime's MCP endpoint
// `/mcp/mcp_conformance`, they show what any plugin gets over MCP.
import { content, definePlugin, defineTool, PluginError, z } from "hiagent-plugin-sdk";

/** A 1×1 red PNG. */
const RED_PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
/** Eight samples of 8 kHz mono silence as WAV. */
const SILENT_WAV = "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQgAAACAgICAgICAgA==";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const address = z.object({ street: z.string(), city: z.string() }).meta({ id: "address" });

export default definePlugin({
  name: "Conformance",
  description: "Tools named and shaped as the MCP conformance suite's server scenarios expect",
  tools: {
    test_simple_text: defineTool({
      title: "Simple text",
      description: "Returns a fixed text block",
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      run: () => content.text("This is a simple text response for testing."),
    }),
    test_image_content: defineTool({
      description: "Returns a 1x1 red PNG as an image block",
      annotations: { readOnlyHint: true },
      run: () => content.image(RED_PIXEL_PNG, "image/png"),
    }),
    test_audio_content: defineTool({
      description: "Returns a short WAV as an audio block",
      annotations: { readOnlyHint: true },
      run: () => content.audio(SILENT_WAV, "audio/wav"),
    }),
    test_embedded_resource: defineTool({
      description: "Returns an embedded text resource",
      annotations: { readOnlyHint: true },
      run: () => content.resource("test://embedded-resource", { text: "This is an embedded resource content." }, "text/plain"),
    }),
    test_multiple_content_types: defineTool({
      description: "Returns text, an image and an embedded resource",
      annotations: { readOnlyHint: true },
      run: () => [
        content.text("Multiple content types test:"),
        content.image(RED_PIXEL_PNG, "image/png"),
        content.resource("test://mixed-content-resource", { text: JSON.stringify({ test: "data", value: 123 }) }, "application/json"),
      ],
    }),
    test_tool_with_logging: defineTool({
      description: "Logs three lines at info level while it runs",
      async run(_input, ctx) {
        ctx.log.info("Tool execution started");
        await sleep(50);
        ctx.log.info("Tool processing data");
        await sleep(50);
        ctx.log.info("Tool execution completed");
        return content.text("Tool with logging executed successfully");
      },
    }),
    test_error_handling: defineTool({
      description: "Always fails",
      run: () => {
        throw new PluginError("This tool intentionally returns an error for testing");
      },
    }),
    test_tool_with_progress: defineTool({
      description: "Streams three steps; over MCP each is a progress notification",
      stream: true,
      async *run() {
        yield "0/100 ";
        await sleep(50);
        yield "50/100 ";
        await sleep(50);
        yield "100/100";
      },
    }),
    json_schema_2020_12_tool: defineTool({
      description: "Tool with JSON Schema 2020-12 features",
      input: z.object({ name: z.string().optional(), address: address.optional() }).strict(),
      run: (input) => ({ received: input }),
    }),
  },
});
