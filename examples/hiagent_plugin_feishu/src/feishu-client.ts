// Calls to the Feishu open platform with the tenant token. Feishu answers HTTP 200 with
// `code` != 0 for most failures, so success is `code === 0`, not the status.
import { PluginError, type ToolContext } from "hiagent-plugin-sdk";
import { forgetToken, tenantToken, type FeishuConfig } from "./tenant-token.ts";

/** Codes that mean the token itself was refused (missing, invalid or expired): renew and retry once. */
const TOKEN_REFUSED = new Set([99991661, 99991663]);

interface FeishuAnswer<T> {
  code?: number;
  msg?: string;
  data?: T;
}

export async function feishu<T>(ctx: ToolContext<FeishuConfig>, path: string, body: unknown): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const token = await tenantToken(ctx);
    const response = await ctx.fetch(`${ctx.cfg.base_url.replace(/\/+$/, "")}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(body),
    });
    const answer = (await response.json().catch(() => null)) as FeishuAnswer<T> | null;
    if (answer?.code === 0 && answer.data !== undefined) return answer.data;
    if (attempt === 0 && answer?.code !== undefined && TOKEN_REFUSED.has(answer.code)) {
      forgetToken(ctx.cfg, token);
      continue;
    }
    throw new PluginError(`Feishu error ${answer?.code ?? `HTTP ${response.status}`}: ${answer?.msg ?? "no message"}`, {
      data: { code: answer?.code ?? null, status: response.status },
    });
  }
}
