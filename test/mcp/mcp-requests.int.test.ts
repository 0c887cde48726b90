// What the MCP endpoints answer besides a well-formed call: authentication (401 with an
// RFC 9728 challenge, the metadata it names), foreign Origins, GET/DELETE on a
// stateless endpoint, and bad input — malformed JSON-RPC, batches where the revision
// forbids them, unknown methods, oversized bodies, a wrong MCP-Protocol-Version header.
// Each gets the spec's error, and a normal call afterwards still works.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMcpServer, type McpServerFixture } from "./mcp-fixture.ts";

let f: McpServerFixture;

beforeAll(async () => {
  f = await startMcpServer({ HIAGENT_SERVER__MAX_BODY_BYTES: "65536", HIAGENT_MCP__ALLOWED_ORIGINS: '["app.example.com"]' });
}, 120_000);

afterAll(async () => {
  await f?.close();
});

const INIT = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};

function post(body: string | object, headers: Record<string, string> = {}, path = "/mcp/mcp_tools"): Promise<Response> {
  return fetch(f.url(path), {
    method: "POST",
    headers: {
      authorization: `Bearer ${f.server.tokens.a}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** The JSON-RPC message of an answer, whether it came as JSON or as one SSE event. */
async function message(res: Response): Promise<{ id?: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } }> {
  const text = await res.text();
  if (!(res.headers.get("content-type") ?? "").includes("text/event-stream")) return JSON.parse(text);
  const data = text.split("\n").find((l) => l.startsWith("data: ") && l.length > 6);
  return JSON.parse(data!.slice(6));
}

async function stillWorks(): Promise<void> {
  const res = await post({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "add", arguments: { a: 1, b: 2 } } });
  expect(res.status).toBe(200);
  expect((await message(res)).result).toMatchObject({ structuredContent: { result: 3 } });
}

describe("auth", () => {
  it("answers no token with 401 and a WWW-Authenticate naming the protected-resource metadata", async () => {
    const res = await post(INIT, { authorization: "" });
    expect(res.status).toBe(401);
    const challenge = res.headers.get("www-authenticate")!;
    expect(challenge).toMatch(/^Bearer /);
    const metadata = /resource_metadata="([^"]+)"/.exec(challenge)![1]!;
    expect(metadata).toBe(f.url("/.well-known/oauth-protected-resource/mcp/mcp_tools"));
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { data: { code: "Unauthorized" } } });
    const doc = await fetch(metadata);
    expect(doc.status).toBe(200);
    expect(await doc.json()).toMatchObject({ resource: f.url("/mcp/mcp_tools"), bearer_methods_supported: ["header"] });
    const top = await (await fetch(f.url("/.well-known/oauth-protected-resource/mcp"))).json();
    expect(top).toMatchObject({ resource: f.url("/mcp") });
  });

  it("answers an unknown token with 401", async () => {
    const res = await post(INIT, { authorization: "Bearer hiagent_not-a-token" });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("resource_metadata=");
  });

  it("refuses a foreign Origin and accepts a configured one", async () => {
    const foreign = await post(INIT, { origin: "https://evil.example.com" });
    expect(foreign.status).toBe(403);
    const allowed = await post(INIT, { origin: "https://app.example.com" });
    expect(allowed.status).toBe(200);
    await allowed.body?.cancel();
  });
});

describe("bad input", () => {
  it("answers malformed JSON with a parse error", async () => {
    const res = await post("{not json");
    expect(res.status).toBe(400);
    expect((await message(res)).error?.code).toBe(-32700);
    await stillWorks();
  });

  it("answers a message that is not JSON-RPC with an invalid-request error", async () => {
    const res = await post({ hello: "world" });
    expect(res.status).toBe(400);
    expect((await message(res)).error?.code).toBe(-32600);
    await stillWorks();
  });

  it("refuses a batch array on 2025-06-18 and later", async () => {
    const res = await post([{ jsonrpc: "2.0", id: 1, method: "tools/list" }, { jsonrpc: "2.0", id: 2, method: "tools/list" }]);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect((await message(res)).error?.code).toBe(-32600);
    await stillWorks();
  });

  it("answers an unknown method with -32601", async () => {
    const res = await post({ jsonrpc: "2.0", id: 3, method: "no/such/method", params: {} });
    const msg = await message(res);
    expect(msg.id).toBe(3);
    expect(msg.error?.code).toBe(-32601);
    await stillWorks();
  });

  it("answers an oversized body with 413", async () => {
    const big = JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "add", arguments: { pad: "x".repeat(100_000) } } });
    const res = await post(big);
    expect(res.status).toBe(413);
    await res.body?.cancel();
    await stillWorks();
  });

  it("answers an unsupported MCP-Protocol-Version header with 400", async () => {
    const res = await post({ jsonrpc: "2.0", id: 5, method: "tools/list" }, { "mcp-protocol-version": "1999-01-01" });
    expect(res.status).toBe(400);
    expect((await message(res)).error).toBeDefined();
    await stillWorks();
  });

  it("answers GET and DELETE with 405 (no stream or session on a stateless endpoint)", async () => {
    for (const method of ["GET", "DELETE"]) {
      const res = await fetch(f.url("/mcp"), { method, headers: { authorization: `Bearer ${f.server.tokens.a}`, accept: "text/event-stream" } });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      await res.body?.cancel();
    }
  });

  it("reads a cfg header as /v1's adapter route does, refusing one that is not a JSON object", async () => {
    const res = await post({ jsonrpc: "2.0", id: 6, method: "tools/list" }, { cfg: "[1,2]" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { data: { code: "InvalidRequest" } } });
    await stillWorks();
  });
});
