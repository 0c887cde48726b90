// The MCP endpoints with the official SDK client over real HTTP against a real runtime,
// for every protocol revision served: listing, calls, structured and scalar output,
// error results, progress from a streaming tool, plugin logs as notifications, cancel
// when the client gives up, package and pinned-version endpoints, an unknown package.
import { LOG_LEVEL_META_KEY, ProtocolError, type Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../e2e/api-test-client.ts";
import { REVISIONS, startMcpServer, type McpServerFixture } from "./mcp-fixture.ts";

let f: McpServerFixture;

beforeAll(async () => {
  f = await startMcpServer();
}, 120_000);

afterAll(async () => {
  await f?.close();
});

const ticks = (tag: string): number => f.server.rt.logs.filter((l) => l.msg === `tick ${tag}`).length;

describe.each(REVISIONS)("protocol %s", (revision) => {
  let pkg: Client;

  beforeAll(async () => {
    pkg = await f.connect(revision, "/mcp/mcp_tools");
  });

  it("negotiates the revision", () => {
    expect((pkg as unknown as { _negotiatedProtocolVersion?: string })._negotiatedProtocolVersion).toBe(revision);
  });

  it("lists the package's tools with their metadata, own names where unique", async () => {
    const { tools } = await pkg.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["Alpha_echo", "Beta_echo", "add", "count", "fails", "forever", "whoami"]);
    const echo = tools.find((t) => t.name === "Alpha_echo")!;
    expect(echo).toMatchObject({
      title: "Echo",
      description: "Returns its input and the tenant",
      annotations: { readOnlyHint: true, openWorldHint: false },
      inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
      outputSchema: { type: "object", properties: { text: { type: "string" }, tenant: { type: "string" } } },
    });
    // A scalar output schema is wrapped as {result}.
    expect(tools.find((t) => t.name === "add")!.outputSchema).toMatchObject({ type: "object", properties: { result: { type: "number" } }, required: ["result"] });
    expect(tools.find((t) => t.name === "fails")!.outputSchema).toBeUndefined();
  });

  it("calls a tool: structuredContent plus a text block and the receipt in _meta", async () => {
    const result = await pkg.callTool({ name: "Alpha_echo", arguments: { text: "hi" } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ text: "hi", tenant: "tenant-a" });
    expect(result.content).toEqual([{ type: "text", text: JSON.stringify({ text: "hi", tenant: "tenant-a" }) }]);
    expect(result._meta?.["hiagent/usage"]).toMatchObject({ cpu_ms: expect.any(Number), wall_ms: expect.any(Number), fetch_count: 0 });
    const beta = await pkg.callTool({ name: "Beta_echo", arguments: { text: "x" } });
    expect(beta.content).toEqual([{ type: "text", text: "beta:x" }]);
    expect(beta.structuredContent).toEqual({ result: "beta:x" });
  });

  it("wraps a scalar result as {result}", async () => {
    const result = await pkg.callTool({ name: "add", arguments: { a: 2, b: 3 } });
    expect(result.structuredContent).toEqual({ result: 5 });
    expect(result.content).toEqual([{ type: "text", text: "5" }]);
  });

  it("answers plugin failures and bad input as isError results carrying the error code", async () => {
    const failed = await pkg.callTool({ name: "fails", arguments: {} });
    expect(failed.isError).toBe(true);
    expect(failed.content).toEqual([{ type: "text", text: "ToolError: nope" }]);
    expect(failed._meta?.["hiagent/error"]).toMatchObject({ code: "ToolError", message: "nope", data: { why: "testing" } });
    const invalid = await pkg.callTool({ name: "add", arguments: { a: "two" } });
    expect(invalid.isError).toBe(true);
    expect(invalid._meta?.["hiagent/error"]).toMatchObject({ code: "InvalidInput" });
  });

  it("answers an unknown tool with JSON-RPC -32602", async () => {
    const err = await pkg.callTool({ name: "nope", arguments: {} }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(-32602);
  });

  it("sends a streaming tool's chunks as progress notifications; the result holds the whole output", async () => {
    const progress: { progress: number; message?: string }[] = [];
    const result = await pkg.callTool({ name: "count", arguments: { n: 3 } }, { onprogress: (p) => progress.push(p) });
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3]);
    expect(progress.map((p) => p.message)).toEqual(['{"i":0}', '{"i":1}', '{"i":2}']);
    expect(result.structuredContent).toEqual({ result: [{ i: 0 }, { i: 1 }, { i: 2 }] });
  });

  it("stops the tool when the client gives up on the call", async () => {
    const tag = `cancel-${revision}`;
    const controller = new AbortController();
    const call = pkg.callTool({ name: "forever", arguments: { tag } }, { signal: controller.signal }).catch((e: unknown) => e);
    await until(async () => ticks(tag) >= 2, "the tool to run");
    controller.abort();
    expect(await call).toBeInstanceOf(Error);
    let last = -1;
    await until(async () => {
      const now = ticks(tag);
      const settled = now === last;
      last = now;
      await new Promise((r) => setTimeout(r, 150));
      return settled;
    }, "the tool to stop ticking");
    await new Promise((r) => setTimeout(r, 300));
    expect(ticks(tag)).toBe(last);
    // The tenant's slot is free again: the next call runs.
    expect((await pkg.callTool({ name: "add", arguments: { a: 1, b: 1 } })).structuredContent).toEqual({ result: 2 });
  });

  it("serves every package at /mcp under {pkg}_{plugin}_{tool} names", async () => {
    const all = await f.connect(revision, "/mcp");
    const names = (await all.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["mcp_tools_Alpha_echo", "mcp_tools_Beta_echo", "mcp_conformance_Conformance_test_simple_text"]));
    expect(names.every((n) => /^[A-Za-z0-9_.-]{1,64}$/.test(n))).toBe(true);
    const result = await all.callTool({ name: "mcp_tools_Alpha_add", arguments: { a: 20, b: 22 } });
    expect(result.structuredContent).toEqual({ result: 42 });
  });

  it("pins a version at /mcp/{pkg}/{version} and refuses an unknown package or version", async () => {
    const pinned = await f.connect(revision, "/mcp/mcp_tools/1.0.0");
    expect((await pinned.callTool({ name: "add", arguments: { a: 1, b: 2 } })).structuredContent).toEqual({ result: 3 });
    await expect(f.connect(revision, "/mcp/mcp_tools/9.9.9")).rejects.toThrow();
    await expect(f.connect(revision, "/mcp/no_such_package")).rejects.toThrow();
    const res = await fetch(f.url("/mcp/no_such_package"), {
      method: "POST",
      headers: { authorization: `Bearer ${f.server.tokens.a}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", error: { data: { code: "PackageNotFound" } } });
  });

  it("an admin token may use MCP too", async () => {
    const admin = await f.connect(revision, "/mcp/mcp_tools", { as: "admin" });
    expect((await admin.callTool({ name: "Alpha_echo", arguments: { text: "op" } })).structuredContent).toEqual({ text: "op", tenant: "operator" });
  });
});

describe("plugin configs", () => {
  it("runs a call with the tenant's stored config, which another tenant never sees; a cfg header is used as given", async () => {
    const stored = await f.server.call("a", "SetPluginConfig", { pkg: "mcp_tools", plugin: "Keyed", cfg: { account: "key-of-a" } });
    expect(stored.status).toBe(200);
    const asA = await f.connect("2025-11-25", "/mcp/mcp_tools");
    expect((await asA.callTool({ name: "whoami", arguments: {} })).structuredContent).toEqual({ key_suffix: "f-a", tenant: "tenant-a" });

    const asB = await f.connect("2026-07-28", "/mcp/mcp_tools", { as: "b" });
    const refused = await asB.callTool({ name: "whoami", arguments: {} });
    expect(refused.isError).toBe(true);
    expect(refused._meta?.["hiagent/error"]).toMatchObject({ code: "InvalidConfig" });
    expect(JSON.stringify(refused)).not.toContain("key-of-a");

    const withHeader = await f.connect("2025-06-18", "/mcp/mcp_tools", { as: "b", headers: { cfg: JSON.stringify({ account: "key-of-b" }) } });
    expect((await withHeader.callTool({ name: "whoami", arguments: {} })).structuredContent).toEqual({ key_suffix: "f-b", tenant: "tenant-b" });
  });
});

describe("plugin logs", () => {
  it("reach the client as notifications/message while the tool runs", async () => {
    const client = await f.connect("2025-11-25", "/mcp/mcp_conformance");
    const messages: { level: string; data: unknown }[] = [];
    client.setNotificationHandler("notifications/message", (n) => void messages.push({ level: n.params.level, data: n.params.data }));
    await client.callTool({ name: "test_tool_with_logging", arguments: {} });
    expect(messages).toEqual([
      { level: "info", data: "Tool execution started" },
      { level: "info", data: "Tool processing data" },
      { level: "info", data: "Tool execution completed" },
    ]);
    // …and the host log.
    expect(f.server.rt.logs.some((l) => l.msg === "Tool processing data" && l.source === "plugin")).toBe(true);
  });

  it.each(REVISIONS)("go out at or above the level the request asks for (%s)", async (revision) => {
    const client = await f.connect(revision, "/mcp/mcp_tools");
    const levels: string[] = [];
    client.setNotificationHandler("notifications/message", (n) => void levels.push(n.params.level));
    const tag = `level-${revision}`;
    const controller = new AbortController();
    // forever logs at warn: below "error" nothing is sent, at "warning" every line is.
    const call = (level: string) =>
      client.callTool({ name: "forever", arguments: { tag }, _meta: { [LOG_LEVEL_META_KEY]: level } }, { signal: controller.signal }).catch(() => undefined);
    const quiet = call("error");
    await until(async () => ticks(tag) >= 3, "the tool to log");
    controller.abort();
    await quiet;
    expect(levels).toEqual([]);
    const controller2 = new AbortController();
    const loud = client.callTool({ name: "forever", arguments: { tag }, _meta: { [LOG_LEVEL_META_KEY]: "warning" } }, { signal: controller2.signal }).catch(() => undefined);
    await until(async () => levels.length >= 2, "warning lines to arrive");
    controller2.abort();
    await loud;
    expect(new Set(levels)).toEqual(new Set(["warning"]));
  });
});
