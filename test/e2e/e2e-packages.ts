// Real plugin packages for the end-to-end API flows, zipped from source the way an
// author's `pack` would: a package.json and TypeScript importing hiagent-plugin-sdk.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import JSZip from "jszip";

function manifest(name: string, version: string): string {
  return JSON.stringify({
    name,
    version,
    type: "module",
    hiagent: { entry: "src/index.ts", permissions: { fetch: [] } },
    dependencies: { "hiagent-plugin-sdk": "*" },
  });
}

/** The tools package; its long-running tools log "tick <tag>" at each step, so a test sees when they stop. */
const TOOLS_SOURCE = `
import { definePlugin, defineTool, PluginError, secret, z } from "hiagent-plugin-sdk";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// The plugin holds a placeholder, not api_key: it compares keys by their HMAC, which the host computes with the real value.
const fingerprint = async (key: string) => {
  const k = await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return Array.from(new Uint8Array(await crypto.subtle.sign("HMAC", k, new Uint8Array(0)))).join(",");
};

export default [
  definePlugin({
    name: "Echo",
    description: "Tools for end-to-end tests",
    config: z.object({ api_key: secret(z.string().min(3)) }),
    async validate(cfg) {
      if ((await fingerprint(cfg.api_key)) === (await fingerprint("bad-key"))) throw new PluginError("api_key rejected by upstream");
    },
    tools: {
      echo: defineTool({
        description: "Returns its input and what it knows of the call",
        input: z.object({ text: z.string() }),
        run: (input, ctx) => ({ text: input.text, key_hidden: ctx.cfg.api_key.startsWith("hsp_"), tenant: ctx.tenant }),
      }),
      count: defineTool({
        description: "Streams {i} for i < n",
        input: z.object({ n: z.number().int().min(0).max(1000), delay_ms: z.number().int().default(0) }),
        stream: true,
        async *run({ n, delay_ms }) {
          for (let i = 0; i < n; i++) {
            if (delay_ms > 0) await sleep(delay_ms);
            yield { i };
          }
        },
      }),
      fail_after: defineTool({
        description: "Streams n chunks, then fails",
        input: z.object({ n: z.number().int() }),
        stream: true,
        async *run({ n }) {
          for (let i = 0; i < n; i++) yield "chunk " + i;
          throw new PluginError("upstream broke");
        },
      }),
      forever: defineTool({
        description: "Streams until stopped, reporting each chunk",
        input: z.object({ tag: z.string() }),
        stream: true,
        async *run({ tag }, ctx) {
          ctx.signal.addEventListener("abort", () => ctx.log.info("aborted " + tag));
          for (let i = 0; ; i++) {
            ctx.log.info("tick " + tag);
            await sleep(20);
            yield i;
          }
        },
      }),
      ticking: defineTool({
        description: "Reports a tick every 20 ms for ms, then answers",
        input: z.object({ tag: z.string(), ms: z.number().int() }),
        async run({ tag, ms }, ctx) {
          ctx.signal.addEventListener("abort", () => ctx.log.info("aborted " + tag));
          const end = Date.now() + ms;
          while (Date.now() < end) {
            ctx.log.info("tick " + tag);
            await sleep(20);
          }
          return "done";
        },
      }),
      boom: defineTool({
        description: "Always fails",
        run() {
          throw new PluginError("boom", { data: { why: "on purpose" } });
        },
      }),
    },
  }),
  definePlugin({ name: "Second", tools: { hello: defineTool({ run: () => "hi" }) } }),
];
`;

/** Spins at load time, so the install's inspect stage takes a while (for cancel tests). */
const SLOW_SOURCE = `
import { definePlugin, defineTool } from "hiagent-plugin-sdk";
const until = Date.now() + 3000;
let spins = 0;
while (Date.now() < until) spins++;
export default definePlugin({ name: "Slow", tools: { spins: defineTool({ run: () => spins > 0 }) } });
`;

async function zip(files: Record<string, string>): Promise<Buffer> {
  const archive = new JSZip();
  for (const [name, text] of Object.entries(files)) archive.file(name, text);
  return archive.generateAsync({ type: "nodebuffer", compression: "DEFLATE" });
}

export const TOOLS_PACKAGE = { name: "e2e_tools", version: "1.0.0", file: "pkgs/e2e_tools-1.0.0.zip" } as const;
export const SLOW_PACKAGE = { name: "e2e_slow", version: "0.1.0", file: "pkgs/e2e_slow-0.1.0.zip" } as const;

/** Writes the package zips under `root/pkgs/`. */
export async function writeE2ePackages(root: string): Promise<void> {
  await mkdir(path.join(root, "pkgs"), { recursive: true });
  await writeFile(
    path.join(root, TOOLS_PACKAGE.file),
    await zip({ "package.json": manifest(TOOLS_PACKAGE.name, TOOLS_PACKAGE.version), "src/index.ts": TOOLS_SOURCE }),
  );
  await writeFile(
    path.join(root, SLOW_PACKAGE.file),
    await zip({ "package.json": manifest(SLOW_PACKAGE.name, SLOW_PACKAGE.version), "src/index.ts": SLOW_SOURCE }),
  );
}
