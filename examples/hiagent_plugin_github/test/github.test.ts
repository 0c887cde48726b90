// The GitHub plugin in the real sandbox against a fake GitHub on 127.0.0.1: token
// header, pagination through the Link header, issue creation, base64 file content,
// and GitHub's errors (bad token, rate limit, validation) as readable messages.
import type { ServerResponse } from "node:http";
import { loadPlugin, sendJson, startFakeUpstream, type FakeUpstream, type LoadedPlugin, type PluginCallError, type RecordedRequest } from "hiagent-plugin-sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const TOKEN = "ghp_test";
const ISSUE_COUNT = 7;

interface Issue {
  number: number;
  title: string;
  author: string;
  labels: string[];
  is_pull_request: boolean;
}

let gh: FakeUpstream;
let plugin: LoadedPlugin;
/** An upstream the operator lets the plugin reach, but not one of its secret origins. */
let decoy: FakeUpstream;
let cfg: { token: string; base_url: string };

const README = "# Demo\n\nLine with ünïcödé and a tab\tend.\n";

function rawIssue(number: number) {
  return {
    number,
    title: `Issue ${number}`,
    state: "open",
    html_url: `https://github.com/acme/demo/issues/${number}`,
    user: { login: "octocat" },
    labels: [{ name: "bug" }],
    comments: number % 3,
    created_at: "2024-01-01T00:00:00Z",
    ...(number === 2 ? { pull_request: { url: "x" } } : {}),
  };
}

function listIssues(req: RecordedRequest, res: ServerResponse): void {
  const perPage = Number(req.url.searchParams.get("per_page") ?? "30");
  const page = Number(req.url.searchParams.get("page") ?? "1");
  const numbers = Array.from({ length: ISSUE_COUNT }, (_, i) => ISSUE_COUNT - i).slice((page - 1) * perPage, page * perPage);
  const last = Math.ceil(ISSUE_COUNT / perPage);
  const link = (p: number, rel: string) => {
    const url = new URL(req.url.pathname, gh.origin);
    url.search = new URLSearchParams({ state: req.url.searchParams.get("state") ?? "open", per_page: String(perPage), page: String(p) }).toString();
    return `<${url.href}>; rel="${rel}"`;
  };
  const links = [...(page < last ? [link(page + 1, "next"), link(last, "last")] : []), ...(page > 1 ? [link(1, "first")] : [])];
  sendJson(res, 200, numbers.map(rawIssue), links.length ? { link: links.join(", ") } : {});
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
  gh = await startFakeUpstream((req, res) => {
    if (req.headers.authorization === "Bearer limited") {
      sendJson(res, 403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000" });
      return;
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      sendJson(res, 401, { message: "Bad credentials" });
      return;
    }
    const route = `${req.method} ${req.url.pathname}`;
    if (route === "GET /user") return sendJson(res, 200, { login: "octocat" });
    if (route === "GET /repos/acme/demo/issues") return listIssues(req, res);
    if (route === "POST /repos/acme/demo/issues") {
      const body = JSON.parse(req.body) as { title: string; labels?: string[] };
      if (body.title === "dup") return sendJson(res, 422, { message: "Validation Failed", errors: [{ resource: "Issue", field: "title", code: "custom", message: "title is a duplicate" }] });
      return sendJson(res, 201, { ...rawIssue(8), title: body.title, labels: (body.labels ?? []).map((name) => ({ name })) });
    }
    if (route === "GET /repos/acme/demo/contents/docs/read%20me.md") {
      const content = Buffer.from(README).toString("base64").replace(/.{60}/g, "$&\n");
      return sendJson(res, 200, { type: "file", encoding: "base64", path: "docs/read me.md", sha: "abc123", size: Buffer.byteLength(README), content });
    }
    if (route === "GET /repos/acme/demo/contents/docs") return sendJson(res, 200, [{ type: "file", name: "read me.md" }]);
    sendJson(res, 404, { message: "Not Found" });
  });
  cfg = { token: TOKEN, base_url: gh.origin };
  decoy = await startFakeUpstream((_req, res) => sendJson(res, 401, { error: "unknown key" }));
  plugin = await loadPlugin(new URL("..", import.meta.url), {
    allowOrigins: [gh.origin],
    sandbox: { fetch: { extra_origins: [decoy.origin], allow_private_origins: [decoy.origin] } },
  });
});

afterAll(async () => {
  await decoy?.close();
  await plugin?.close();
  await gh?.close();
});

describe("hiagent_plugin_github", () => {
  it("lists one page and says where the next starts", async () => {
    const result = await plugin.call<{ issues: Issue[]; next_page: number | null }>("GitHub", "list_issues", { owner: "acme", repo: "demo", per_page: 3 }, cfg);
    expect(result.issues.map((i) => i.number)).toEqual([7, 6, 5]);
    expect(result.next_page).toBe(2);
    expect(result.issues[0]).toMatchObject({ title: "Issue 7", author: "octocat", labels: ["bug"], is_pull_request: false });
    const request = gh.requests.at(-1);
    expect(request?.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" });
    expect(Object.fromEntries(request?.url.searchParams ?? [])).toEqual({ state: "open", per_page: "3", page: "1" });
  });

  it("follows the Link header across pages", async () => {
    const before = gh.requests.length;
    const result = await plugin.call<{ issues: Issue[]; next_page: number | null }>("GitHub", "list_issues", { owner: "acme", repo: "demo", per_page: 3, state: "all", max_pages: 5 }, cfg);
    expect(result.issues.map((i) => i.number)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(result.issues.find((i) => i.number === 2)?.is_pull_request).toBe(true);
    expect(result.next_page).toBeNull();
    expect(gh.requests.slice(before).map((r) => r.url.searchParams.get("page"))).toEqual(["1", "2", "3"]);
  });

  it("starts from a given page", async () => {
    const result = await plugin.call<{ issues: Issue[]; next_page: number | null }>("GitHub", "list_issues", { owner: "acme", repo: "demo", per_page: 3, page: 3 }, cfg);
    expect(result).toMatchObject({ issues: [{ number: 1 }], next_page: null });
  });

  it("creates an issue", async () => {
    const created = await plugin.call<Issue>("GitHub", "create_issue", { owner: "acme", repo: "demo", title: "Crash on start", body: "Steps…", labels: ["bug", "p1"] }, cfg);
    expect(created).toMatchObject({ number: 8, title: "Crash on start", labels: ["bug", "p1"] });
    const request = gh.requests.at(-1);
    expect(request?.method).toBe("POST");
    expect(JSON.parse(request?.body ?? "{}")).toEqual({ title: "Crash on start", body: "Steps…", labels: ["bug", "p1"] });
  });

  it("reports GitHub's validation errors", async () => {
    const err = await failure(plugin.call("GitHub", "create_issue", { owner: "acme", repo: "demo", title: "dup" }, cfg));
    expect(err.message).toBe("GitHub refused the request: Validation Failed; title is a duplicate");
  });

  it("decodes a file's base64 content, path segments encoded", async () => {
    const file = await plugin.call("GitHub", "get_file_content", { owner: "acme", repo: "demo", path: "docs/read me.md", ref: "main" }, cfg);
    expect(file).toEqual({ path: "docs/read me.md", sha: "abc123", size: Buffer.byteLength(README), content: README });
    expect(gh.requests.at(-1)?.path).toBe("/repos/acme/demo/contents/docs/read%20me.md?ref=main");
  });

  it("says so when the path is a directory or missing", async () => {
    expect((await failure(plugin.call("GitHub", "get_file_content", { owner: "acme", repo: "demo", path: "docs" }, cfg))).message).toBe("docs is a directory, not a file");
    expect((await failure(plugin.call("GitHub", "get_file_content", { owner: "acme", repo: "demo", path: "nope.md" }, cfg))).message).toBe("not found on GitHub (or the token cannot see it)");
  });

  it("explains a bad token and a rate limit", async () => {
    const bad = await failure(plugin.call("GitHub", "list_issues", { owner: "acme", repo: "demo" }, { ...cfg, token: "wrong" }));
    expect(bad).toMatchObject({ code: "ToolError", message: "GitHub rejected the token (HTTP 401): check token" });
    const limited = await failure(plugin.call("GitHub", "list_issues", { owner: "acme", repo: "demo" }, { ...cfg, token: "limited" }));
    expect(limited.message).toBe("GitHub rate limit exceeded until 2023-11-14T22:13:20.000Z");
  });

  it("validates the token against /user", async () => {
    await expect(plugin.validate("GitHub", cfg)).resolves.toBeUndefined();
    expect(gh.requests.at(-1)?.path).toBe("/user");
    expect((await failure(plugin.validate("GitHub", { ...cfg, token: "wrong" }))).code).toBe("PluginInvalidConfig");
  });
});

describe("secrets", () => {
  it("the plugin holds only a placeholder: an upstream outside its secret origins gets hsp_…, never the key", async () => {
    await failure(plugin.call("GitHub", "list_issues", { owner: "o", repo: "r" }, { token: TOKEN, base_url: decoy.origin }));
    const got = decoy.requests.at(-1);
    expect(got?.headers.authorization).toMatch(/^Bearer hsp_[A-Za-z0-9_-]{32}$/);
    expect(JSON.stringify(got)).not.toContain(TOKEN);
  });
});
