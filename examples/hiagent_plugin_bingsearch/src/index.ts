// The Bing plugin: web search through the Bing Web Search API (v7), as a text summary
// for an agent to read and as structured results for a program to use.
import { definePlugin, defineTool, secret, z, type ToolContext } from "hiagent-plugin-sdk";
import { searchWeb, summarize, type BingConfig } from "./bing-client.ts";

const config = z.object({
  api_key: secret(z.string().min(1)).describe("Bing Search subscription key (Ocp-Apim-Subscription-Key)"),
  base_url: z.string().url().default("https://api.bing.microsoft.com").describe("API endpoint; change it only for a proxy"),
});

const searchInput = z.object({
  query: z.string().min(1).describe("What to search for"),
  num_results: z.number().int().min(1).max(50).default(5).describe("How many results to return"),
});

const result = z.object({ title: z.string(), link: z.string(), snippet: z.string() });

export default definePlugin({
  name: "Bing",
  description: "Search the web with Bing",
  labels: { name_zh_hans: "必应搜索", description_zh_hans: "使用必应搜索网页" },
  category: "search",
  config,
  async validate(cfg, ctx) {
    // One cheap query: a rejected key fails here with the same message a search would give.
    await searchWeb(ctx, "hiagent", 1);
  },
  tools: {
    search: defineTool({
      description: "Search the web and return the top results as readable text",
      input: searchInput,
      output: z.string(),
      async run({ query, num_results }, ctx: ToolContext<BingConfig>) {
        return summarize(query, await searchWeb(ctx, query, num_results));
      },
    }),
    search_results: defineTool({
      description: "Search the web and return the top results as {title, link, snippet}",
      input: searchInput,
      output: z.array(result),
      run: ({ query, num_results }, ctx: ToolContext<BingConfig>) => searchWeb(ctx, query, num_results),
    }),
  },
});
