// The Feishu plugin: send messages as a Feishu (Lark) custom app. The app's tenant
// token is exchanged once and reused across calls (see tenant-token.ts).
import { definePlugin, defineTool, secret, z, type ToolContext } from "hiagent-plugin-sdk";
import { feishu } from "./feishu-client.ts";
import { tenantToken, type FeishuConfig } from "./tenant-token.ts";

const config = z.object({
  app_id: z.string().min(1).describe("The custom app's App ID (cli_…)"),
  app_secret: secret(z.string().min(1)).describe("The custom app's App Secret"),
  base_url: z.string().url().default("https://open.feishu.cn").describe("Open platform endpoint (Lark: https://open.larksuite.com)"),
});

const sendInput = z
  .object({
    receive_id: z.string().min(1).describe("Who receives it, in the kind receive_id_type names"),
    receive_id_type: z.enum(["chat_id", "open_id", "user_id", "union_id", "email"]).default("chat_id"),
    text: z.string().min(1).max(150_000).optional().describe("Plain text to send"),
    msg_type: z.enum(["text", "post", "image", "interactive", "share_chat", "share_user", "file"]).optional(),
    content: z.record(z.string(), z.unknown()).optional().describe("The message content object for msg_type (instead of text)"),
  })
  .refine((input) => (input.text === undefined) !== (input.content === undefined), { message: "give either text or msg_type + content" })
  .refine((input) => input.content === undefined || input.msg_type !== undefined, { message: "content needs a msg_type", path: ["msg_type"] });

export default definePlugin({
  name: "Feishu",
  description: "Send Feishu messages as a custom app",
  labels: { name_zh_hans: "飞书" },
  category: "productivity",
  config,
  async validate(_cfg, ctx) {
    await tenantToken(ctx);
  },
  tools: {
    send_message: defineTool({
      description: "Send a message to a chat or a person",
      input: sendInput,
      output: z.object({ message_id: z.string(), chat_id: z.string(), create_time: z.string() }),
      async run(input, ctx: ToolContext<FeishuConfig>) {
        const msgType = input.text !== undefined ? "text" : input.msg_type!;
        const content = input.text !== undefined ? { text: input.text } : input.content;
        const query = new URLSearchParams({ receive_id_type: input.receive_id_type });
        const data = await feishu<{ message_id?: string; chat_id?: string; create_time?: string }>(ctx, `/open-apis/im/v1/messages?${query.toString()}`, {
          receive_id: input.receive_id,
          msg_type: msgType,
          // Feishu takes the content as a JSON string, not an object.
          content: JSON.stringify(content),
        });
        return { message_id: data.message_id ?? "", chat_id: data.chat_id ?? "", create_time: data.create_time ?? "" };
      },
    }),
  },
});
