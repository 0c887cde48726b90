// The app's tenant_access_token, exchanged for app_id + app_secret and kept in this
// module's Map: isolate globals survive between calls of one tenant while the isolate
// is warm (and are never shared with another tenant), so most calls skip the exchange.
// The plugin never holds app_secret itself (the sandbox hands it a placeholder that is
// new on every call): a cached token is tied to the secret by an HMAC of the secret,
// which the host computes with the real value.
import { PluginError, type ToolContext } from "hiagent-plugin-sdk";

export interface FeishuConfig {
  app_id: string;
  app_secret: string;
  base_url: string;
}

interface CachedToken {
  /** HMAC fingerprint of the secret the token was issued for: a caller with another secret never gets this token. */
  secret: string;
  token: Promise<string>;
  /** The token once the exchange answered. */
  value: string | null;
  /** Epoch ms after which the token is not used (set once the exchange answers). */
  expiresAt: number;
}

/** Renew this long before Feishu's expiry, so a token never lapses mid-request. */
const RENEW_BEFORE_MS = 5 * 60 * 1000;

const tokens = new Map<string, CachedToken>();

const cacheKey = (cfg: FeishuConfig) => `${cfg.base_url}\n${cfg.app_id}`;

/** HMAC-SHA256 of a fixed label under the secret: the same for the same secret, whatever placeholder stands in for it. */
async function fingerprint(secret: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("hiagent_plugin_feishu token cache")));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function exchange(ctx: ToolContext<FeishuConfig>, entry: CachedToken): Promise<string> {
  const response = await ctx.fetch(`${ctx.cfg.base_url.replace(/\/+$/, "")}/open-apis/auth/v3/tenant_access_token/internal`, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify({ app_id: ctx.cfg.app_id, app_secret: ctx.cfg.app_secret }),
  });
  const body = (await response.json().catch(() => null)) as { code?: number; msg?: string; tenant_access_token?: string; expire?: number } | null;
  if (!response.ok || body?.code !== 0 || typeof body.tenant_access_token !== "string") {
    throw new PluginError(`Feishu refused app_id/app_secret: ${body?.msg ?? `HTTP ${response.status}`}`, { data: { code: body?.code ?? null, status: response.status } });
  }
  const lifetimeMs = (body.expire ?? 7200) * 1000;
  entry.expiresAt = Date.now() + Math.max(lifetimeMs - RENEW_BEFORE_MS, lifetimeMs / 2);
  entry.value = body.tenant_access_token;
  return entry.value;
}

/** A valid token for cfg's app: the cached one, or a new exchange (shared by concurrent calls). */
export async function tenantToken(ctx: ToolContext<FeishuConfig>): Promise<string> {
  const secret = await fingerprint(ctx.cfg.app_secret);
  const key = cacheKey(ctx.cfg);
  const cached = tokens.get(key);
  const sameSecret = cached?.secret === secret;
  if (cached && sameSecret && Date.now() < cached.expiresAt) return cached.token;
  const entry: CachedToken = { secret, token: Promise.resolve(""), value: null, expiresAt: Number.POSITIVE_INFINITY };
  entry.token = exchange(ctx, entry);
  // Another secret for a cached app (a rotation, or a wrong one) replaces the cached
  // token only once Feishu accepts it, so a bad secret cannot evict a good token.
  if (!cached || sameSecret) tokens.set(key, entry);
  entry.token.then(
    () => {
      if (!sameSecret && cached) tokens.set(key, entry);
    },
    () => {
      // A failed exchange is not cached: the next call tries again.
      if (tokens.get(key) === entry) tokens.delete(key);
    },
  );
  return entry.token;
}

/** Drops `token` if it is still the cached one (Feishu said it is no longer valid). */
export function forgetToken(cfg: FeishuConfig, token: string): void {
  const key = cacheKey(cfg);
  if (tokens.get(key)?.value === token) tokens.delete(key);
}
