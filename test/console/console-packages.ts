// Packages the console tests install: one whose tools exercise every kind of form field,
// streaming and a plugin failure, and one whose metadata is hostile markup that must
// show up as text and never run.
import JSZip from "jszip";

function manifest(name: string, version: string, origins: string[] = []): string {
  return JSON.stringify({
    name,
    version,
    type: "module",
    hiagent: { entry: "src/index.ts", permissions: { fetch: origins } },
    dependencies: { "hiagent-plugin-sdk": "*" },
  });
}

const DEMO_SOURCE = `
import { definePlugin, defineTool, PluginError, secret, z } from "hiagent-plugin-sdk";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export default definePlugin({
  name: "Demo",
  description: "Tools for trying the console",
  labels: { name_zh_hans: "演示" },
  icon: "icon.svg",
  config: z.object({
    api_key: secret(z.string().min(3)).describe("The upstream key"),
    region: z.enum(["eu", "us"]).default("eu"),
  }),
  tools: {
    form_echo: defineTool({
      description: "Answers with what the form sent",
      input: z.object({
        text: z.string().min(1).describe("Something to echo"),
        count: z.number().int().min(1).max(5).default(2).describe("How many times"),
        mode: z.enum(["plain", "shout"]).default("plain"),
        loud: z.boolean().default(false),
        tags: z.array(z.string()).default([]),
        options: z.object({ depth: z.number().min(0).max(10).default(1), note: z.string().optional() }),
      }),
      run: (input, ctx) => ({ echoed: Array(input.count).fill(input.mode === "shout" ? input.text.toUpperCase() : input.text), input, key_given: ctx.cfg.api_key.length > 0, region: ctx.cfg.region }),
    }),
    count_stream: defineTool({
      description: "Streams {i} for i < n, one every delay_ms",
      input: z.object({ n: z.number().int().min(1).max(50), delay_ms: z.number().int().min(0).max(2000).default(300) }),
      stream: true,
      async *run({ n, delay_ms }) {
        for (let i = 0; i < n; i++) {
          if (i > 0) await sleep(delay_ms);
          yield { i };
        }
      },
    }),
    fail: defineTool({
      description: "Always fails",
      input: z.object({}),
      run() {
        throw new PluginError("upstream broke");
      },
    }),
  },
});
`;

const ICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><rect width="40" height="40" rx="8" fill="#2f5bd3"/><text x="20" y="27" font-size="20" text-anchor="middle" fill="#fff">D</text></svg>';

/** The hostile strings, as a test looks for them in the page. */
export const HOSTILE = {
  description: '<script>window.__pwned = "description"</script><img src=x onerror="window.__pwned = 1">',
  zhName: '<img src=x onerror="alert(1)">',
  zhDescription: "<script>alert(2)</script>",
  toolDescription: '<img src=x onerror="window.__pwned = 2"><b>bold?</b>',
  label: '"><svg onload=alert(3)>',
} as const;

const HOSTILE_SOURCE = `
import { definePlugin, defineTool, z } from "hiagent-plugin-sdk";
export default definePlugin({
  name: "Hostile",
  description: ${JSON.stringify(HOSTILE.description)},
  category: "<i>category</i>",
  labels: { name_zh_hans: ${JSON.stringify(HOSTILE.zhName)}, description_zh_hans: ${JSON.stringify(HOSTILE.zhDescription)}, tag: ${JSON.stringify(HOSTILE.label)} },
  tools: {
    probe: defineTool({
      description: ${JSON.stringify(HOSTILE.toolDescription)},
      labels: { name_zh_hans: ${JSON.stringify(HOSTILE.zhName)} },
      input: z.object({ q: z.string().describe(${JSON.stringify(HOSTILE.toolDescription)}) }),
      run: ({ q }) => ({ q }),
    }),
  },
});
`;

async function zipOf(files: Record<string, string>): Promise<Uint8Array> {
  const zip = new JSZip();
  for (const [name, text] of Object.entries(files)) zip.file(name, text);
  return zip.generateAsync({ type: "uint8array" });
}

export function demoPackage(version = "1.0.0"): Promise<Uint8Array> {
  return zipOf({ "package.json": manifest("console_demo", version, ["https://api.example.com"]), "src/index.ts": DEMO_SOURCE, "icon.svg": ICON_SVG });
}

const EXPOSED_SOURCE = `
import { definePlugin, defineTool, secret, z } from "hiagent-plugin-sdk";
export default definePlugin({
  name: "Raw",
  description: "Needs its key as the real value",
  config: z.object({ signing_key: secret(z.string(), { exposed: true }), api_key: secret(z.string()) }),
  tools: { ping: defineTool({ run: () => "pong" }) },
});
`;

/** A package whose plugin opts a secret out of placeholders. */
export function exposedSecretPackage(): Promise<Uint8Array> {
  return zipOf({ "package.json": manifest("raw_secret", "1.0.0"), "src/index.ts": EXPOSED_SOURCE });
}

export function hostilePackage(): Promise<Uint8Array> {
  return zipOf({ "package.json": manifest("hostile_meta", "6.6.6"), "src/index.ts": HOSTILE_SOURCE });
}
