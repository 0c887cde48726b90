// Requests to the GitHub REST API with the caller's token, and GitHub's failures as
// messages a caller can act on (a bad token, a rate limit, a repository out of reach).
import { PluginError, type ToolContext } from "hiagent-plugin-sdk";

export interface GitHubConfig {
  token: string;
  base_url: string;
}

export interface GitHubResponse<T> {
  body: T;
  /** The `rel="next"` URL of the Link header, if any. */
  next: string | null;
}

/** `<url>; rel="next", <url>; rel="last"` → the next URL. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part);
    if (match?.[2]?.split(/\s+/).includes("next")) return match[1] ?? null;
  }
  return null;
}

/** Path segments are encoded one by one, so `docs/a b.md` stays a path. */
export function repoPath(owner: string, repo: string, ...rest: string[]): string {
  return ["repos", owner, repo, ...rest].map((segment) => segment.split("/").map(encodeURIComponent).join("/")).join("/");
}

function failure(status: number, body: unknown, headers: Headers): PluginError {
  const message = typeof (body as { message?: unknown } | null)?.message === "string" ? (body as { message: string }).message : "";
  const data = { status, upstream: message || null };
  if (status === 401) return new PluginError("GitHub rejected the token (HTTP 401): check token", { data });
  if ((status === 403 || status === 429) && headers.get("x-ratelimit-remaining") === "0") {
    const reset = Number(headers.get("x-ratelimit-reset"));
    const when = Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : "";
    return new PluginError(`GitHub rate limit exceeded${when}`, { data });
  }
  if (status === 404) return new PluginError("not found on GitHub (or the token cannot see it)", { data });
  if (status === 422) {
    const errors = (body as { errors?: { message?: string; field?: string; code?: string }[] } | null)?.errors ?? [];
    const details = errors.map((e) => e.message ?? [e.field, e.code].filter(Boolean).join(" ")).filter(Boolean);
    return new PluginError(`GitHub refused the request: ${[message, ...details].filter(Boolean).join("; ")}`, { data: { ...data, errors } });
  }
  return new PluginError(`GitHub request failed with HTTP ${status}${message ? `: ${message}` : ""}`, { data });
}

/** Calls `pathOrUrl` (a path under base_url, or a full URL from a Link header). */
export async function github<T>(ctx: ToolContext<GitHubConfig>, pathOrUrl: string, init: { method?: string; body?: unknown } = {}): Promise<GitHubResponse<T>> {
  const base = ctx.cfg.base_url.replace(/\/+$/, "");
  const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${base}/${pathOrUrl.replace(/^\/+/, "")}`;
  // Link headers come from the server; only follow them where the token was meant to go.
  if (new URL(url).origin !== new URL(base).origin) throw new PluginError(`refusing to send the token to ${new URL(url).origin}`);
  const response = await ctx.fetch(url, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${ctx.cfg.token}`,
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
      "user-agent": "hiagent-plugin-github",
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw failure(response.status, body, response.headers);
  return { body: body as T, next: nextLink(response.headers.get("link")) };
}

/** Base64 (as GitHub sends it, wrapped at 60 columns) to text. */
export function decodeBase64Text(content: string): string {
  const binary = atob(content.replace(/\s+/g, ""));
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}
