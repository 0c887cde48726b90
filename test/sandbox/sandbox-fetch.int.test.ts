// The fetch door end to end: plugin code in a real isolate → FetchBridge → guarded
// client → fake upstreams on 127.0.0.1. Refusals only ever target loopback, so a
// broken check still sends nothing off the machine.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginSource, SandboxHarness } from "./plugin-fixture.ts";

interface Upstream {
  server: Server;
  origin: string;
  hits: string[];
}

async function upstream(handler: (path: string, res: import("node:http").ServerResponse, body: string) => void): Promise<Upstream> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      hits.push(`${req.method} ${req.url}`);
      handler(req.url ?? "/", res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

let allowed: Upstream;
let forbidden: Upstream;
let h: SandboxHarness;
let pkg: Awaited<ReturnType<SandboxHarness["install"]>>;

beforeAll(async () => {
  forbidden = await upstream((_p, res) => res.end("secret"));
  allowed = await upstream((path, res, body) => {
    if (path === "/json") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ hello: "world" }));
    if (path === "/echo") return res.writeHead(200).end(body);
    if (path === "/redirect-out") return res.writeHead(302, { location: `${forbidden.origin}/x` }).end();
    if (path === "/redirect-in") return res.writeHead(302, { location: "/json" }).end();
    if (path === "/stream") {
      res.writeHead(200);
      let i = 0;
      const t = setInterval(() => {
        res.write(`chunk${i++};`);
        if (i === 5) {
          clearInterval(t);
          res.end();
        }
      }, 10);
      return;
    }
    if (path === "/big") return res.writeHead(200).end("z".repeat(200_000));
    if (path === "/hang") return; // never answers
    res.writeHead(404).end();
  });
  h = new SandboxHarness({
    processes: 1,
    timeout_ms: 3000,
    fetch: { allow_private_origins: [allowed.origin], max_requests: 3, max_response_bytes: 100_000, timeout_ms: 1000 },
  });
  await h.start();
  pkg = await h.install(
    "fetcher",
    pluginSource(`
      get: defineTool({ input: z.object({ url: z.string() }), async run(i, ctx) { const r = await ctx.fetch(i.url); return { status: r.status, body: await r.text(), redirected: r.redirected }; } }),
      getGlobal: defineTool({ input: z.object({ url: z.string() }), async run(i) { const r = await fetch(i.url); return await r.json(); } }),
      post: defineTool({ input: z.object({ url: z.string() }), async run(i, ctx) { const r = await ctx.fetch(i.url, { method: "POST", body: JSON.stringify({ a: 1 }), headers: { "content-type": "application/json" } }); return await r.text(); } }),
      chunks: defineTool({ input: z.object({ url: z.string() }), async run(i, ctx) { const r = await ctx.fetch(i.url); const out = []; for await (const c of r.body) out.push(new TextDecoder().decode(c)); return out.join(""); } }),
      many: defineTool({ input: z.object({ url: z.string(), n: z.number() }), async run(i, ctx) { for (let k = 0; k < i.n; k++) await (await ctx.fetch(i.url)).text(); return i.n; } }),
      caught: defineTool({ input: z.object({ url: z.string() }), async run(i, ctx) { try { await ctx.fetch(i.url); return "fetched"; } catch (e) { return e.name + ":" + e.code; } } }),
    `),
    [allowed.origin],
  );
}, 60_000);

afterAll(async () => {
  await h.stop();
  allowed.server.close();
  forbidden.server.close();
});

describe("plugin fetch", () => {
  it("reaches an origin the manifest declares and the operator allows", async () => {
    expect((await h.call(pkg, "P", "getGlobal", { url: `${allowed.origin}/json` })).value).toEqual({ hello: "world" });
    const { value, usage } = await h.call(pkg, "P", "get", { url: `${allowed.origin}/json` });
    expect(value).toEqual({ status: 200, body: '{"hello":"world"}', redirected: false });
    expect(usage.fetch_count).toBe(1);
    expect(usage.fetch_bytes).toBe(17);
  });

  it("sends request bodies and follows same-origin redirects", async () => {
    expect((await h.call(pkg, "P", "post", { url: `${allowed.origin}/echo` })).value).toBe('{"a":1}');
    expect((await h.call(pkg, "P", "get", { url: `${allowed.origin}/redirect-in` })).value).toMatchObject({ status: 200, redirected: true });
  });

  it("streams response bodies chunk by chunk", async () => {
    expect((await h.call(pkg, "P", "chunks", { url: `${allowed.origin}/stream` })).value).toBe("chunk0;chunk1;chunk2;chunk3;chunk4;");
  });

  it("refuses origins outside the manifest with FetchDenied, sending nothing", async () => {
    const f = await h.failure(pkg, "P", "get", { url: `${forbidden.origin}/x` });
    expect(f.code).toBe("FetchDenied");
    expect(f.message).toMatch(/permissions\.fetch/);
    expect(forbidden.hits).toEqual([]);
  });

  it("checks every redirect hop: an allowed upstream cannot bounce the plugin to a denied port", async () => {
    const f = await h.failure(pkg, "P", "get", { url: `${allowed.origin}/redirect-out` });
    expect(f.code).toBe("FetchDenied");
    expect(forbidden.hits).toEqual([]);
  });

  it("refuses non-http schemes", async () => {
    expect((await h.failure(pkg, "P", "get", { url: "file:///etc/passwd" })).code).toBe("FetchDenied");
    expect((await h.failure(pkg, "P", "get", { url: "data:text/plain,hi" })).code).toBe("FetchDenied");
  });

  it("lets plugin code catch a refusal as an error with its code", async () => {
    expect((await h.call(pkg, "P", "caught", { url: `${forbidden.origin}/x` })).value).toBe("FetchDeniedError:FetchDenied");
  });

  it("caps requests per call and bytes per response", async () => {
    expect((await h.call(pkg, "P", "many", { url: `${allowed.origin}/json`, n: 3 })).value).toBe(3);
    const f = await h.failure(pkg, "P", "many", { url: `${allowed.origin}/json`, n: 4 });
    expect(f).toMatchObject({ code: "FetchDenied" });
    expect(f.message).toMatch(/more than 3/);
    expect((await h.failure(pkg, "P", "get", { url: `${allowed.origin}/big` })).code).toBe("FetchDenied");
  });

  it("times out a hanging upstream and the call still ends cleanly", async () => {
    const f = await h.failure(pkg, "P", "get", { url: `${allowed.origin}/hang` });
    expect(f.code).toBe("FetchDenied");
    expect(f.message).toMatch(/longer than 1000 ms/);
    expect((await h.call(pkg, "P", "get", { url: `${allowed.origin}/json` })).value).toMatchObject({ status: 200 });
  });

  it("logs each refused fetch with the call's tags", async () => {
    h.logs.length = 0;
    await h.failure(pkg, "P", "get", { url: `${forbidden.origin}/y` });
    expect(h.logs.some((l) => l.level === "warn" && /fetch refused/.test(l.msg) && l.fields.tool === "get")).toBe(true);
  });

  it("a call that times out aborts its pending fetches (the upstream sees the connection close)", async () => {
    let closed = 0;
    const hang = createServer((req) => req.socket.on("close", () => closed++));
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", r));
    const origin = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
    const h2 = new SandboxHarness({ processes: 1, timeout_ms: 400, fetch: { allow_private_origins: [origin], timeout_ms: 30_000 } });
    await h2.start();
    try {
      const t = await h2.install("hangs", pluginSource(`get: defineTool({ async run(_i, ctx) { await ctx.fetch("${origin}/"); return 1; } })`), [origin]);
      expect((await h2.failure(t, "P", "get")).code).toBe("ToolTimeout");
      await new Promise((r) => setTimeout(r, 200));
      expect(closed).toBe(1);
    } finally {
      await h2.stop();
      hang.close();
    }
  });
});
