// The one Bing Web Search v7 request this plugin makes, and how its failures read to a
// caller: a rejected key says so plainly instead of surfacing as an HTTP status.
import { PluginError, type ToolContext } from "hiagent-plugin-sdk";

export interface BingConfig {
  api_key: string;
  base_url: string;
}

export interface WebResult {
  title: string;
  link: string;
  snippet: string;
}

interface BingWebPage {
  name?: unknown;
  url?: unknown;
  snippet?: unknown;
}

interface BingResponse {
  webPages?: { value?: BingWebPage[] };
}

/** Bing's error bodies come in two shapes (gateway and API); either gives a message. */
function upstreamMessage(body: unknown): string | null {
  const b = body as { error?: { message?: unknown }; errors?: { message?: unknown }[] } | null;
  const message = b?.error?.message ?? b?.errors?.[0]?.message;
  return typeof message === "string" ? message : null;
}

function searchUrl(baseUrl: string, query: string, count: number): string {
  // Joined as text, so a base URL with a path (a proxy) keeps it.
  const params = new URLSearchParams({ q: query, count: String(count) });
  return `${baseUrl.replace(/\/+$/, "")}/v7.0/search?${params.toString()}`;
}

export async function searchWeb(ctx: ToolContext<BingConfig>, query: string, count: number): Promise<WebResult[]> {
  const response = await ctx.fetch(searchUrl(ctx.cfg.base_url, query, count), {
    headers: { "Ocp-Apim-Subscription-Key": ctx.cfg.api_key, accept: "application/json" },
  });
  const body: unknown = await response.json().catch(() => null);
  if (response.status === 401 || response.status === 403) {
    throw new PluginError(`Bing rejected the API key (HTTP ${response.status}): check api_key`, {
      data: { status: response.status, upstream: upstreamMessage(body) },
    });
  }
  if (!response.ok) {
    const detail = upstreamMessage(body);
    throw new PluginError(`Bing search failed with HTTP ${response.status}${detail ? `: ${detail}` : ""}`, {
      data: { status: response.status },
    });
  }
  const pages = (body as BingResponse | null)?.webPages?.value ?? [];
  return pages.slice(0, count).map((page) => ({
    title: String(page.name ?? ""),
    link: String(page.url ?? ""),
    snippet: String(page.snippet ?? ""),
  }));
}

/** The text an agent reads: numbered results, one title and link line, then the snippet. */
export function summarize(query: string, results: readonly WebResult[]): string {
  if (results.length === 0) return `No Bing results for "${query}".`;
  const lines = results.map((r, i) => `${i + 1}. ${r.title} (${r.link})\n   ${r.snippet}`);
  return `Top ${results.length} Bing results for "${query}":\n${lines.join("\n")}`;
}
