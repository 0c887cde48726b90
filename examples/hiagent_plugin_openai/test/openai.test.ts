// The OpenAI plugin in the real sandbox against a fake OpenAI on 127.0.0.1. The fake
// streams its SSE body in awkward pieces (an event split mid-line, a multi-byte
// character split across writes) and holds the rest back until the test has seen the
// first token, which proves the plugin parses the body incrementally.
import type { ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { loadPlugin, sendJson, startFakeUpstream, type FakeUpstream, type LoadedPlugin, type PluginCallError } from "hiagent-plugin-sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const KEY = "sk-test";
const TOKENS = ["Hel", "lo", ", ", "wörld", "!"];

let openai: FakeUpstream;
let plugin: LoadedPlugin;
/** An upstream the operator lets the plugin reach, but not one of its secret origins. */
let decoy: FakeUpstream;
let cfg: { api_key: string; base_url: string };
/** Resolved by a test to let the fake send the rest of a held-back stream. */
let releaseRest: () => void = () => undefined;
let hangUps = 0;

const event = (token: string) => `data: ${JSON.stringify({ object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: token } }] })}\n\n`;

async function writeStream(res: ServerResponse, hold: boolean): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.on("close", () => {
    if (!res.writableFinished) hangUps++;
  });
  res.write(`: keep-alive comment\n\ndata: ${JSON.stringify({ choices: [{ delta: { role: "assistant" } }] })}\n\n`);
  res.write(event(TOKENS[0]!));
  if (hold) await new Promise<void>((resolve) => (releaseRest = resolve));
  const rest = Buffer.from(TOKENS.slice(1).map(event).join("") + "data: [DONE]\n\n" + event("after DONE"));
  // Split inside the "ö" (two bytes in UTF-8) and in the middle of lines.
  const cut = rest.indexOf(Buffer.from("ö")) + 1;
  for (const piece of [rest.subarray(0, 7), rest.subarray(7, cut), rest.subarray(cut)]) {
    res.write(piece);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  // A server that keeps the connection open after [DONE]: the plugin must stop on its own.
  if (hold) return;
  res.end();
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
  openai = await startFakeUpstream(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      sendJson(res, 401, { error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } });
      return;
    }
    const body = JSON.parse(req.body) as { stream?: boolean; messages: { content: string }[] };
    if (body.stream) return writeStream(res, body.messages[0]?.content === "hold");
    sendJson(res, 200, { choices: [{ index: 0, message: { role: "assistant", content: "Hello there" }, finish_reason: "stop" }] });
  });
  cfg = { api_key: KEY, base_url: `${openai.origin}/v1` };
  decoy = await startFakeUpstream((_req, res) => sendJson(res, 401, { error: "unknown key" }));
  plugin = await loadPlugin(PACKAGE_DIR, {
    allowOrigins: [openai.origin],
    sandbox: { fetch: { extra_origins: [decoy.origin], allow_private_origins: [decoy.origin] } },
  });
});

afterAll(async () => {
  await decoy?.close();
  await plugin?.close();
  await openai?.close();
});

describe("hiagent_plugin_openai", () => {
  it("declares chat_stream as a streaming tool", () => {
    const tools = plugin.meta.plugins[0]?.tools;
    expect(tools?.chat_stream?.stream).toBe(true);
    expect(tools?.chat?.stream).toBe(false);
  });

  it("streams each delta as it arrives and stops at [DONE]", async () => {
    const seen: string[] = [];
    for await (const token of plugin.stream<string>("OpenAI", "chat_stream", { messages: [{ role: "user", content: "hold" }] }, cfg)) {
      seen.push(token);
      // The fake has sent only the first token so far; the rest waits for this.
      if (seen.length === 1) releaseRest();
    }
    expect(seen).toEqual(TOKENS);
    const request = openai.requests.at(-1);
    expect(request?.path).toBe("/v1/chat/completions");
    expect(JSON.parse(request?.body ?? "{}")).toMatchObject({ model: "gpt-4o-mini", stream: true });
  });

  it("hangs up on the upstream when the caller stops reading", async () => {
    const before = hangUps;
    for await (const token of plugin.stream<string>("OpenAI", "chat_stream", { messages: [{ role: "user", content: "hold" }] }, cfg)) {
      expect(token).toBe("Hel");
      break;
    }
    releaseRest();
    await expect.poll(() => hangUps, { timeout: 5000 }).toBe(before + 1);
  });

  it("joins the tokens when the streaming tool is called without stream", async () => {
    const text = await plugin.call<string>("OpenAI", "chat_stream", { messages: [{ role: "user", content: "hi" }] }, cfg);
    expect(text).toBe(TOKENS.join(""));
  });

  it("answers whole with chat, using the configured model", async () => {
    const reply = await plugin.call<string>("OpenAI", "chat", { messages: [{ role: "user", content: "hi" }] }, { ...cfg, model: "gpt-4o" });
    expect(reply).toBe("Hello there");
    expect(JSON.parse(openai.requests.at(-1)?.body ?? "{}")).toMatchObject({ model: "gpt-4o", stream: false, messages: [{ role: "user", content: "hi" }] });
  });

  it("fails the stream with a clear message when the key is rejected", async () => {
    const err = await failure(
      (async () => {
        for await (const _ of plugin.stream("OpenAI", "chat_stream", { messages: [{ role: "user", content: "hi" }] }, { ...cfg, api_key: "sk-wrong" })) {
          // no chunk is expected
        }
      })(),
    );
    expect(err.code).toBe("ToolError");
    expect(err.message).toBe("OpenAI rejected the API key (HTTP 401): check api_key");
    expect(err.data).toMatchObject({ status: 401, code: "invalid_api_key" });
  });
});

describe("secrets", () => {
  it("the plugin holds only a placeholder: an upstream outside its secret origins gets hsp_…, never the key", async () => {
    await failure(plugin.call("OpenAI", "chat", { messages: [{ role: "user", content: "hi" }] }, { api_key: KEY, base_url: `${decoy.origin}/v1` }));
    const got = decoy.requests.at(-1);
    expect(got?.headers.authorization).toMatch(/^Bearer hsp_[A-Za-z0-9_-]{32}$/);
    expect(JSON.stringify(got)).not.toContain(KEY);
  });
});
