// The GitHub plugin: list and create issues, read a file, through the GitHub REST API
// with the caller's token.
import { definePlugin, defineTool, PluginError, secret, z, type ToolContext } from "hiagent-plugin-sdk";
import { decodeBase64Text, github, repoPath, type GitHubConfig } from "./github-client.ts";

const config = z.object({
  token: secret(z.string().min(1)).describe("A GitHub token (fine-grained or classic) that can read, and for create_issue write, issues"),
  base_url: z.string().url().default("https://api.github.com").describe("API endpoint; GitHub Enterprise uses https://HOST/api/v3"),
});

const repo = { owner: z.string().min(1), repo: z.string().min(1) };

interface RawIssue {
  number: number;
  title: string;
  state: string;
  html_url: string;
  user?: { login?: string } | null;
  labels?: ({ name?: string } | string)[];
  comments?: number;
  created_at?: string;
  pull_request?: unknown;
}

const issue = z.object({
  number: z.number(),
  title: z.string(),
  state: z.string(),
  url: z.string(),
  author: z.string(),
  labels: z.array(z.string()),
  comments: z.number(),
  created_at: z.string(),
  is_pull_request: z.boolean(),
});

function toIssue(raw: RawIssue): z.output<typeof issue> {
  return {
    number: raw.number,
    title: raw.title,
    state: raw.state,
    url: raw.html_url,
    author: raw.user?.login ?? "",
    labels: (raw.labels ?? []).map((label) => (typeof label === "string" ? label : (label.name ?? ""))),
    comments: raw.comments ?? 0,
    created_at: raw.created_at ?? "",
    // The issues API lists pull requests too; say which is which.
    is_pull_request: raw.pull_request !== undefined,
  };
}

export default definePlugin({
  name: "GitHub",
  description: "Work with GitHub issues and repository files",
  labels: { name_zh_hans: "GitHub" },
  category: "developer",
  config,
  async validate(cfg, ctx) {
    await github(ctx, "user");
  },
  tools: {
    list_issues: defineTool({
      description: "List a repository's issues, newest first, following the Link header for more pages",
      input: z.object({
        ...repo,
        state: z.enum(["open", "closed", "all"]).default("open"),
        per_page: z.number().int().min(1).max(100).default(30),
        page: z.number().int().min(1).default(1).describe("The first page to read"),
        max_pages: z.number().int().min(1).max(10).default(1).describe("How many pages to read at most"),
      }),
      output: z.object({ issues: z.array(issue), next_page: z.number().nullable() }),
      async run(input, ctx: ToolContext<GitHubConfig>) {
        const query = new URLSearchParams({ state: input.state, per_page: String(input.per_page), page: String(input.page) });
        let url: string | null = `${repoPath(input.owner, input.repo, "issues")}?${query.toString()}`;
        const issues: z.output<typeof issue>[] = [];
        for (let read = 0; url !== null && read < input.max_pages; read++) {
          const page: { body: RawIssue[]; next: string | null } = await github<RawIssue[]>(ctx, url);
          issues.push(...page.body.map(toIssue));
          url = page.next;
        }
        const nextPage = url === null ? null : Number(new URL(url).searchParams.get("page")) || null;
        return { issues, next_page: nextPage };
      },
    }),
    create_issue: defineTool({
      description: "Open an issue",
      input: z.object({
        ...repo,
        title: z.string().min(1).max(256),
        body: z.string().max(65536).optional(),
        labels: z.array(z.string()).optional(),
        assignees: z.array(z.string()).optional(),
      }),
      output: issue,
      async run({ owner, repo: name, ...fields }, ctx: ToolContext<GitHubConfig>) {
        const { body } = await github<RawIssue>(ctx, repoPath(owner, name, "issues"), { method: "POST", body: fields });
        return toIssue(body);
      },
    }),
    get_file_content: defineTool({
      description: "Read a text file from a repository (at a branch, tag or commit)",
      input: z.object({ ...repo, path: z.string().min(1), ref: z.string().min(1).optional() }),
      output: z.object({ path: z.string(), sha: z.string(), size: z.number(), content: z.string() }),
      async run({ owner, repo: name, path, ref }, ctx: ToolContext<GitHubConfig>) {
        const query = ref ? `?${new URLSearchParams({ ref }).toString()}` : "";
        const { body } = await github<unknown>(ctx, `${repoPath(owner, name, "contents", path.replace(/^\/+/, ""))}${query}`);
        if (Array.isArray(body)) throw new PluginError(`${path} is a directory, not a file`, { data: { entries: body.length } });
        const file = body as { type?: string; encoding?: string; content?: string; path?: string; sha?: string; size?: number };
        if (file.type !== "file") throw new PluginError(`${path} is a ${file.type ?? "thing"}, not a file`);
        // GitHub leaves out the content of files over 1 MB (encoding "none").
        if (file.encoding !== "base64" || typeof file.content !== "string") throw new PluginError(`${path} is too large to read through the contents API`, { data: { size: file.size } });
        return { path: file.path ?? path, sha: file.sha ?? "", size: file.size ?? 0, content: decodeBase64Text(file.content) };
      },
    }),
  },
});
