// What one request may cost the API (SPEC §5): a body within `server.max_body_bytes`
// that nests 100,000 deep (in `input`, in `cfg`, as the adapter body or its cfg header)
// or holds hundreds of thousands of keys is a clean `InvalidRequest` 400, never a 500;
// a refusal lists at most the first few issues with their count, however many fields
// were wrong; and the server answers normally afterwards. (How long such requests hold
// the event loop is measured in bench/http/request-cost-bench.ts, not asserted here.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSecurityServer, type SecurityServer } from "./security-server.ts";

let server: SecurityServer;

const deep = (levels: number): string => "[".repeat(levels) + "]".repeat(levels);
const manyKeys = (count: number): string => "{" + Array.from({ length: count }, (_, i) => `"k${i}":1`).join(",") + "}";
const calc = { pkg: "calculator", version: "1.0.0", plugin: "Calculator", tool: "add" };

beforeAll(async () => {
  server = await startSecurityServer();
  await server.calculatorWorks();
}, 120_000);

afterAll(async () => {
  await server?.close();
});

async function refusedAsInvalid(res: Response, reason: RegExp): Promise<void> {
  const body = (await res.json()) as { error: { code: string; message: string } | null };
  expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(400);
  expect(body.error?.code).toBe("InvalidRequest");
  expect(body.error?.message).toMatch(reason);
}

describe("deep JSON is a clean 400", () => {
  it("100,000-deep JSON in input", async () => {
    await refusedAsInvalid(await server.post("a", "RunPluginTool", `{"pkg":"calculator","version":"1.0.0","plugin":"Calculator","tool":"add","input":{"a":${deep(100_000)}}}`), /nests deeper/);
  });

  it("100,000-deep JSON in cfg", async () => {
    await refusedAsInvalid(await server.post("a", "RunPluginTool", `{"pkg":"calculator","version":"1.0.0","plugin":"Calculator","tool":"add","input":{},"cfg":{"x":${deep(100_000)}}}`), /nests deeper/);
  });

  it("100,000-deep JSON as the adapter body", async () => {
    await refusedAsInvalid(await server.post("a", "RunPluginToolAdapterRuntime?pkg=calculator&version=1.0.0&plugin=Calculator&tool=add", `{"a":${deep(100_000)}}`), /nests deeper/);
  });

  it("deep JSON in the adapter's cfg header", async () => {
    const res = await server.post("a", "RunPluginToolAdapterRuntime?pkg=calculator&version=1.0.0&plugin=Calculator&tool=add", { a: 1, b: 2 }, { headers: { cfg: `{"x":${deep(4_000)}}` } });
    await refusedAsInvalid(res, /header cfg nests deeper/);
  });
});

describe("key counts and issue lists are bounded", () => {
  it("a tool input with 700,000 keys is InvalidRequest", async () => {
    await refusedAsInvalid(await server.post("a", "RunPluginTool", `{"pkg":"calculator","version":"1.0.0","plugin":"Calculator","tool":"add","input":${manyKeys(700_000)}}`), /more than \d+ object keys/);
  });

  it("a body of 700,000 unknown fields is InvalidRequest, answered in a few KB", async () => {
    const res = await server.post("a", "RunPluginTool", manyKeys(700_000));
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(4096);
  });

  it("a body of 10,000 unknown fields lists the first 20 issues and counts them all", async () => {
    const body = JSON.stringify({ ...calc, input: { a: 1, b: 2 }, ...Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`junk${i}`, i])) });
    const res = await server.post("a", "RunPluginTool", body);
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(8192);
    const answer = JSON.parse(text) as { error: { code: string; message: string; data: { issues: { path: string[]; code: string }[]; issue_count: number } } };
    expect(answer.error.code).toBe("InvalidRequest");
    expect(answer.error.data.issues).toHaveLength(20);
    expect(answer.error.data.issues[0]).toMatchObject({ path: ["junk0"], code: "unknown_field" });
    expect(answer.error.data.issue_count).toBe(10_000);
    expect(answer.error.message).toMatch(/and 9999 more/);
  });

  it("the server keeps answering", async () => {
    await server.calculatorWorks();
    expect((await server.health()).status).toBe("ok");
  });
});
