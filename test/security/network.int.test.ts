// Network (SPEC §4 fetch, §9.6): the SSRF matrix against loopback spellings, a
// redirect from an allowed upstream to a denied port, non-http schemes and the
// per-call caps, all from a real package through the API. The package's manifest
// names the victim in every spelling, so each refusal comes from the address check
// after DNS, not from the origin list; the victim counts TCP connections, so "refused"
// means not even a handshake reached it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLUGIN, pluginZip, zipName, type PluginPackageSpec } from "./hostile-packages.ts";
import { RSS_HEADROOM_BYTES, startSecurityServer, type SecurityServer } from "./security-server.ts";
import { startCountingUpstream, type CountingUpstream } from "./upstreams.ts";

const MAX_REQUESTS = 3;
const MAX_RESPONSE_BYTES = 100_000;

let server: SecurityServer;
let allowed: CountingUpstream;
let victim: CountingUpstream;
let rssBefore = 0;

function networkPackage(victimPort: number, allowedOrigin: string): PluginPackageSpec {
  const v = victimPort;
  return {
    name: "sec_network",
    fetch: [allowedOrigin, `http://127.0.0.1:${v}`, `http://localhost:${v}`, `http://[::1]:${v}`, `http://[::ffff:127.0.0.1]:${v}`, `http://0.0.0.0:${v}`],
    tools: `
      get: defineTool({ input: z.object({ url: z.string() }), async run({ url }, ctx) {
        const res = await ctx.fetch(url);
        return { status: res.status, body: (await res.text()).slice(0, 100) };
      } }),
      many: defineTool({ input: z.object({ url: z.string(), n: z.number() }), async run({ url, n }, ctx) {
        for (let i = 0; i < n; i++) await (await ctx.fetch(url + "?i=" + i)).text();
        return n;
      } }),
    `,
  };
}

beforeAll(async () => {
  victim = await startCountingUpstream();
  allowed = await startCountingUpstream((req, res) => {
    if (req.url === "/to-victim") return res.writeHead(302, { location: `http://127.0.0.1:${victim.port}/stolen` }).end();
    if (req.url === "/to-victim-v6") return res.writeHead(307, { location: `http://[::1]:${victim.port}/stolen` }).end();
    if (req.url === "/big") return res.writeHead(200).end("z".repeat(MAX_RESPONSE_BYTES * 2));
    res.writeHead(200, { "content-type": "text/plain" }).end("fine");
  });
  server = await startSecurityServer(
    {
      HIAGENT_SANDBOX__FETCH__ALLOW_PRIVATE_ORIGINS: JSON.stringify([allowed.origin]),
      HIAGENT_SANDBOX__FETCH__MAX_REQUESTS: String(MAX_REQUESTS),
      HIAGENT_SANDBOX__FETCH__MAX_RESPONSE_BYTES: String(MAX_RESPONSE_BYTES),
    },
    { captureLogs: true },
  );
  await server.calculatorWorks();
  rssBefore = server.rss();
  const spec = networkPackage(victim.port, allowed.origin);
  const res = await server.install(await pluginZip(spec), zipName(spec));
  expect(res.status, JSON.stringify(res.body.error)).toBe(200);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await allowed?.close();
  await victim?.close();
});

const get = (url: string) => server.call("a", "RunPluginTool", { pkg: "sec_network", version: "1.0.0", plugin: PLUGIN, tool: "get", input: { url } });

describe("SSRF matrix: loopback in every spelling", () => {
  const spellings = ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0", "localhost"];
  for (const host of spellings) {
    it(`http://${host}:<victim>/ is FetchDenied by the address check and the victim sees nothing`, async () => {
      const res = await get(`http://${host}:${victim.port}/secret`);
      expect(res.status).toBe(403);
      expect(res.body.error?.code).toBe("FetchDenied");
      expect(res.body.error?.message).toMatch(/not a public address/);
      expect(victim.connections).toBe(0);
      expect(victim.requests).toEqual([]);
    });
  }

  it("the check is real: the allowed upstream on the same address is reached", async () => {
    expect((await get(`${allowed.origin}/hello`)).body.data).toEqual({ status: 200, body: "fine" });
    await server.calculatorWorks();
  });
});

describe("redirects", () => {
  it.each(["/to-victim", "/to-victim-v6"])("an allowed upstream that redirects (%s) to a denied loopback port gets FetchDenied; the victim sees nothing", async (path) => {
    const before = allowed.requests.length;
    const res = await get(`${allowed.origin}${path}`);
    expect(res.body.error?.code).toBe("FetchDenied");
    expect(allowed.requests.length).toBe(before + 1);
    expect(victim.connections).toBe(0);
  });
});

describe("schemes", () => {
  it.each(["file:///etc/passwd", "data:text/plain,hello", "ftp://127.0.0.1/x", "ws://127.0.0.1:1/"])("%s is FetchDenied", async (url) => {
    const res = await get(url);
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe("FetchDenied");
  });
});

describe("caps", () => {
  it(`more than max_requests (${MAX_REQUESTS}) fetches in one call: the next is FetchDenied and never sent`, async () => {
    const run = (n: number) => server.call("a", "RunPluginTool", { pkg: "sec_network", version: "1.0.0", plugin: PLUGIN, tool: "many", input: { url: `${allowed.origin}/count`, n } });
    const ok = await run(MAX_REQUESTS);
    expect(ok.body.data).toBe(MAX_REQUESTS);
    expect(ok.headers.get("x-plugin-usage")).toMatch(new RegExp(`fetch_count=${MAX_REQUESTS}; fetch_bytes=${4 * MAX_REQUESTS}; version=\\S+$`));
    const before = allowed.requests.filter((r) => r.includes("/count")).length;
    const over = await run(MAX_REQUESTS + 1);
    expect(over.body.error?.code).toBe("FetchDenied");
    expect(over.body.error?.message).toMatch(new RegExp(`more than ${MAX_REQUESTS}`));
    expect(allowed.requests.filter((r) => r.includes("/count")).length - before).toBe(MAX_REQUESTS);
  });

  it(`a response over max_response_bytes (${MAX_RESPONSE_BYTES}) is FetchDenied`, async () => {
    const res = await get(`${allowed.origin}/big`);
    expect(res.body.error?.code).toBe("FetchDenied");
  });
});

describe("the fetch log", () => {
  it("logs one line per fetch with origin, status, bytes and whether it was refused", async () => {
    const ok = await get(`${allowed.origin}/logged`);
    const refused = await get(`http://127.1:${victim.port}/logged`);
    const lineOf = async (callId: string | null) => {
      let lines: Record<string, unknown>[] = [];
      for (let i = 0; i < 50 && lines.length === 0; i++) {
        lines = server.rt.logs.filter((l) => l.call_id === callId && l.msg === "plugin fetch");
        if (lines.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      return lines;
    };
    const okLines = await lineOf(ok.headers.get("x-request-id"));
    expect(okLines).toHaveLength(1);
    expect(okLines[0]).toMatchObject({ origin: allowed.origin, status: 200, bytes: 4, refused: false, tenant: "tenant-a", tool: "get" });
    const refusedLines = await lineOf(refused.headers.get("x-request-id"));
    expect(refusedLines).toHaveLength(1);
    expect(refusedLines[0]).toMatchObject({ origin: `http://127.0.0.1:${victim.port}`, status: null, bytes: 0, refused: true, code: "FetchDenied" });
  });
});

describe("aftermath", () => {
  it("every sandbox process is up, nothing reached the victim, and the server's memory came back", async () => {
    await server.sandboxUp();
    await server.calculatorWorks();
    expect(victim.connections).toBe(0);
    expect(server.rss() - rssBefore).toBeLessThan(RSS_HEADROOM_BYTES);
  });
});
