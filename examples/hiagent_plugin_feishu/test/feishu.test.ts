// The Feishu plugin in the real sandbox against a fake open platform on 127.0.0.1. The
// point of interest is the tenant token: exchanged once and reused from isolate globals
// by later calls of the same tenant, never shared with another tenant or another secret,
// renewed when it expires or when Feishu refuses it.
import type { ServerResponse } from "node:http";
import { loadPlugin, sendJson, startFakeUpstream, type FakeUpstream, type LoadedPlugin, type PluginCallError, type RecordedRequest } from "hiagent-plugin-sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SECRET = "s3cret";
const TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal";

let feishu: FakeUpstream;
let plugin: LoadedPlugin;
/** An upstream the operator lets the plugin reach, but not one of its secret origins. */
let decoy: FakeUpstream;
const issued = new Set<string>();
const revoked = new Set<string>();
let serial = 0;

const cfgFor = (app_id: string, app_secret = SECRET) => ({ app_id, app_secret, base_url: feishu.origin });
const tokenRequests = (app_id: string) => feishu.requests.filter((r) => r.url.pathname === TOKEN_PATH && (JSON.parse(r.body) as { app_id: string }).app_id === app_id);
const messageRequests = () => feishu.requests.filter((r) => r.url.pathname === "/open-apis/im/v1/messages");
const send = (app_id: string, text: string, options?: { tenant?: string; secret?: string }) =>
  plugin.call<{ message_id: string }>("Feishu", "send_message", { receive_id: "oc_chat", text }, cfgFor(app_id, options?.secret), options?.tenant ? { tenant: options.tenant } : {});

function answerToken(req: RecordedRequest, res: ServerResponse): void {
  const { app_id, app_secret } = JSON.parse(req.body) as { app_id: string; app_secret: string };
  if (app_secret !== SECRET) return sendJson(res, 200, { code: 10014, msg: "app secret invalid" });
  const token = `t-${app_id}-${++serial}`;
  issued.add(token);
  sendJson(res, 200, { code: 0, msg: "ok", tenant_access_token: token, expire: app_id === "cli_short" ? 2 : 7200 });
}

async function failure(promise: Promise<unknown>): Promise<PluginCallError> {
  try {
    await promise;
  } catch (err) {
    return err as PluginCallError;
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  feishu = await startFakeUpstream((req, res) => {
    if (req.method === "POST" && req.url.pathname === TOKEN_PATH) return answerToken(req, res);
    if (req.method === "POST" && req.url.pathname === "/open-apis/im/v1/messages") {
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      if (!issued.has(token) || revoked.has(token)) return sendJson(res, 200, { code: 99991663, msg: "Invalid access token for authorization" });
      return sendJson(res, 200, { code: 0, msg: "success", data: { message_id: `om_${serial}_${messageRequests().length}`, chat_id: "oc_chat", create_time: "1700000000000" } });
    }
    sendJson(res, 404, { code: 404, msg: "not found" });
  });
  decoy = await startFakeUpstream((_req, res) => sendJson(res, 401, { error: "unknown key" }));
  plugin = await loadPlugin(new URL("..", import.meta.url), {
    allowOrigins: [feishu.origin],
    sandbox: { fetch: { extra_origins: [decoy.origin], allow_private_origins: [decoy.origin] } },
  });
});

afterAll(async () => {
  await decoy?.close();
  await plugin?.close();
  await feishu?.close();
});

describe("hiagent_plugin_feishu", () => {
  it("exchanges the tenant token once for two calls of the same tenant", async () => {
    const first = await send("cli_a", "hello");
    const second = await send("cli_a", "again");
    expect(first.message_id).not.toBe(second.message_id);
    expect(tokenRequests("cli_a")).toHaveLength(1);
    const [m1, m2] = messageRequests().slice(-2);
    expect(m1?.headers.authorization).toBe("Bearer t-cli_a-1");
    expect(m2?.headers.authorization).toBe("Bearer t-cli_a-1");
    expect(m1?.url.searchParams.get("receive_id_type")).toBe("chat_id");
    expect(JSON.parse(m1?.body ?? "{}")).toEqual({ receive_id: "oc_chat", msg_type: "text", content: JSON.stringify({ text: "hello" }) });
  });

  it("never shares the token with another tenant", async () => {
    await send("cli_a", "from another tenant", { tenant: "other" });
    expect(tokenRequests("cli_a")).toHaveLength(2);
  });

  it("does not hand a cached token to a caller with another secret", async () => {
    const err = await failure(send("cli_a", "x", { secret: "wrong" }));
    expect(err).toMatchObject({ code: "ToolError", message: "Feishu refused app_id/app_secret: app secret invalid" });
    expect(tokenRequests("cli_a")).toHaveLength(3);
    // The right secret still finds its token cached.
    await send("cli_a", "still cached");
    expect(tokenRequests("cli_a")).toHaveLength(3);
  });

  it("renews a token Feishu refuses, and retries once", async () => {
    await send("cli_b", "one");
    revoked.add(`t-cli_b-${serial}`);
    await send("cli_b", "two");
    expect(tokenRequests("cli_b")).toHaveLength(2);
    expect(messageRequests().slice(-2).map((r) => r.headers.authorization)).toEqual([`Bearer t-cli_b-${serial - 1}`, `Bearer t-cli_b-${serial}`]);
  });

  it("renews an expired token", async () => {
    await send("cli_short", "one");
    await send("cli_short", "two");
    expect(tokenRequests("cli_short")).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await send("cli_short", "three");
    expect(tokenRequests("cli_short")).toHaveLength(2);
  });

  it("sends rich content as Feishu's JSON string", async () => {
    const post = { zh_cn: { title: "Build", content: [[{ tag: "text", text: "passed" }]] } };
    await plugin.call("Feishu", "send_message", { receive_id: "ou_1", receive_id_type: "open_id", msg_type: "post", content: post }, cfgFor("cli_a"));
    const request = messageRequests().at(-1);
    expect(request?.url.searchParams.get("receive_id_type")).toBe("open_id");
    expect(JSON.parse(request?.body ?? "{}")).toEqual({ receive_id: "ou_1", msg_type: "post", content: JSON.stringify(post) });
  });

  it("refuses input with both text and content", async () => {
    const err = await failure(plugin.call("Feishu", "send_message", { receive_id: "x", text: "a", msg_type: "text", content: { text: "b" } }, cfgFor("cli_a")));
    expect(err.code).toBe("InvalidInput");
  });

  it("validates app credentials by exchanging a token", async () => {
    await expect(plugin.validate("Feishu", cfgFor("cli_c"))).resolves.toBeUndefined();
    expect(tokenRequests("cli_c")).toHaveLength(1);
    const err = await failure(plugin.validate("Feishu", cfgFor("cli_c", "wrong")));
    expect(err).toMatchObject({ code: "PluginInvalidConfig", message: "Feishu refused app_id/app_secret: app secret invalid" });
  });
});

describe("secrets", () => {
  it("the plugin holds only a placeholder: an upstream outside its secret origins gets hsp_…, never the key", async () => {
    await failure(plugin.call("Feishu", "send_message", { receive_id: "oc_chat", text: "x" }, { app_id: "cli_decoy", app_secret: SECRET, base_url: decoy.origin }));
    const got = decoy.requests.at(-1);
    expect((JSON.parse(got?.body ?? "{}") as { app_secret?: string }).app_secret).toMatch(/^hsp_[A-Za-z0-9_-]{32}$/);
    expect(JSON.stringify(got)).not.toContain(SECRET);
  });
});
