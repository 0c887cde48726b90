// The OpenAI plugin: chat completions, whole (`chat`) or streamed token by token
// (`chat_stream`) from the API's server-sent events.
import { definePlugin, defineTool, secret, z, type ToolContext } from "hiagent-plugin-sdk";
import { complete, completeStream, type OpenAIConfig } from "./openai-client.ts";

const config = z.object({
  api_key: secret(z.string().min(1)).describe("OpenAI API key"),
  base_url: z.string().url().default("https://api.openai.com/v1").describe("API base URL, up to and including /v1"),
  model: z.string().min(1).default("gpt-4o-mini").describe("Chat model"),
});

const chatInput = z.object({
  messages: z
    .array(z.object({ role: z.string().min(1), content: z.string() }))
    .min(1)
    .describe("The conversation so far, oldest first"),
  temperature: z.number().min(0).max(2).optional(),
});

export default definePlugin({
  name: "OpenAI",
  description: "Chat with OpenAI models",
  labels: { name_zh_hans: "OpenAI 对话" },
  category: "llm",
  config,
  tools: {
    chat: defineTool({
      description: "Answer the conversation; returns the assistant's reply",
      input: chatInput,
      output: z.string(),
      run: (input, ctx: ToolContext<OpenAIConfig>) => complete(ctx, input),
    }),
    chat_stream: defineTool({
      description: "Answer the conversation, streaming the reply token by token",
      input: chatInput,
      output: z.string(),
      stream: true,
      async *run(input, ctx: ToolContext<OpenAIConfig>) {
        yield* completeStream(ctx, input);
      },
    }),
  },
});
