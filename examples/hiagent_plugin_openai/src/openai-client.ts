// Calls to the OpenAI chat completions endpoint, and the errors a caller sees: a
// rejected key or an exhausted quota read as such, not as a bare HTTP status.
import { PluginError, type ToolContext } from "hiagent-plugin-sdk";
import { readSseData } from "./sse-parser.ts";

export interface OpenAIConfig {
  api_key: string;
  base_url: string;
  model: string;
}

export interface ChatMessage {
  role: string;
  content: string;
}

interface ChatRequest {
  messages: ChatMessage[];
  temperature?: number | undefined;
}

interface ErrorBody {
  error?: { message?: unknown; type?: unknown; code?: unknown };
}

function errorFor(status: number, body: unknown): PluginError {
  const upstream = (body as ErrorBody | null)?.error;
  const detail = typeof upstream?.message === "string" ? upstream.message : null;
  const data = { status, type: upstream?.type ?? null, code: upstream?.code ?? null };
  if (status === 401 || status === 403) {
    return new PluginError(`OpenAI rejected the API key (HTTP ${status}): check api_key`, { data });
  }
  if (status === 429) return new PluginError(`OpenAI rate limit or quota reached${detail ? `: ${detail}` : ""}`, { data });
  return new PluginError(`OpenAI request failed with HTTP ${status}${detail ? `: ${detail}` : ""}`, { data });
}

function post(ctx: ToolContext<OpenAIConfig>, request: ChatRequest, stream: boolean): Promise<Response> {
  const body = { model: ctx.cfg.model, messages: request.messages, stream, ...(request.temperature === undefined ? {} : { temperature: request.temperature }) };
  return ctx.fetch(`${ctx.cfg.base_url.replace(/\/+$/, "")}/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${ctx.cfg.api_key}`,
      "content-type": "application/json",
      accept: stream ? "text/event-stream" : "application/json",
    },
    body: JSON.stringify(body),
  });
}

/** One completion, whole. */
export async function complete(ctx: ToolContext<OpenAIConfig>, request: ChatRequest): Promise<string> {
  const response = await post(ctx, request, false);
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw errorFor(response.status, body);
  const content = (body as { choices?: { message?: { content?: unknown } }[] } | null)?.choices?.[0]?.message?.content;
  return typeof content === "string" ? content : "";
}

/** A completion token by token, read from the SSE body as it arrives; ends at `data: [DONE]`. */
export async function* completeStream(ctx: ToolContext<OpenAIConfig>, request: ChatRequest): AsyncGenerator<string> {
  const response = await post(ctx, request, true);
  if (!response.ok) throw errorFor(response.status, await response.json().catch(() => null));
  if (!response.body) throw new PluginError("OpenAI sent an empty streaming response");
  for await (const data of readSseData(response.body)) {
    if (data === "[DONE]") return;
    let event: { choices?: { delta?: { content?: unknown } }[] } & ErrorBody;
    try {
      event = JSON.parse(data) as typeof event;
    } catch {
      throw new PluginError("OpenAI sent a stream event that is not JSON", { data: { event: data.slice(0, 200) } });
    }
    if (event.error) throw errorFor(500, event);
    const token = event.choices?.[0]?.delta?.content;
    if (typeof token === "string" && token.length > 0) yield token;
  }
}
