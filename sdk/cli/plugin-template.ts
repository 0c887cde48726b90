// The files `hiagent-plugin init` writes: a working one-tool plugin, its test (run in
// the real sandbox through hiagent-plugin-sdk/testing) and a README.

/** A package name the manifest accepts, from a folder name (`My Plugin` → `my-plugin`). */
export function packageNameFor(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 128);
  return name || "my-plugin";
}

/** A plugin name for display (`my-plugin` → `MyPlugin`). */
export function pluginNameFor(packageName: string): string {
  const words = packageName.split(/[^a-zA-Z0-9]+/).filter(Boolean);
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("") || "MyPlugin";
}

export function templateFiles(packageName: string, sdkVersion: string): Record<string, string> {
  const plugin = pluginNameFor(packageName);
  const manifest = {
    name: packageName,
    version: "0.1.0",
    description: `${plugin}: a HiAgent plugin`,
    type: "module",
    private: true,
    hiagent: { entry: "src/index.ts", permissions: { fetch: [] } },
    scripts: { build: "hiagent-plugin build", pack: "hiagent-plugin pack", test: "vitest run" },
    devDependencies: { "hiagent-plugin-sdk": `^${sdkVersion}`, vitest: "^4.1.12" },
  };
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      lib: ["ES2023", "DOM"],
      types: [],
      strict: true,
      noUncheckedIndexedAccess: true,
      verbatimModuleSyntax: true,
      allowImportingTsExtensions: true,
      noEmit: true,
      skipLibCheck: true,
    },
    include: ["src", "test", "vitest.config.ts"],
  };
  return {
    "package.json": `${JSON.stringify(manifest, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify(tsconfig, null, 2)}\n`,
    ".gitignore": "node_modules/\ndist/\n",
    "vitest.config.ts": `import { defineConfig } from "vitest/config";

// Plugin tests start a real sandbox: allow for its start-up.
export default defineConfig({
  test: { include: ["test/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 60_000 },
});
`,
    "src/index.ts": `// ${plugin}: one tool to start from. Code here runs in the sandbox: standard
// JavaScript plus fetch (to the origins in package.json hiagent.permissions.fetch),
// console, timers and the other globals listed in the plugin guide; no Node APIs.
import { definePlugin, defineTool, PluginError, z } from "hiagent-plugin-sdk";

export default definePlugin({
  name: "${plugin}",
  description: "Greets people",
  tools: {
    greet: defineTool({
      description: "Greet someone by name",
      input: z.object({
        name: z.string().min(1).describe("Who to greet"),
        excited: z.boolean().default(false),
      }),
      output: z.string(),
      run({ name, excited }, ctx) {
        if (name.toLowerCase() === "nobody") throw new PluginError("there is nobody to greet");
        ctx.log.info("greeting", name);
        return \`Hello, \${name}\${excited ? "!" : "."}\`;
      },
    }),
  },
});
`,
    "test/plugin.test.ts": `// Runs the plugin in the same sandbox the server uses (built by the server's own builder).
import { loadPlugin, type LoadedPlugin } from "hiagent-plugin-sdk/testing";
import { afterAll, beforeAll, expect, it } from "vitest";

let plugin: LoadedPlugin;

beforeAll(async () => {
  plugin = await loadPlugin(new URL("..", import.meta.url));
});

afterAll(async () => {
  await plugin?.close();
});

it("greets", async () => {
  expect(await plugin.call("${plugin}", "greet", { name: "Ada", excited: true })).toBe("Hello, Ada!");
});

it("rejects input that does not match the schema", async () => {
  await expect(plugin.call("${plugin}", "greet", { name: "" })).rejects.toMatchObject({ code: "InvalidInput" });
});

it("reports a PluginError with its message and the source line", async () => {
  await expect(plugin.call("${plugin}", "greet", { name: "nobody" })).rejects.toMatchObject({
    code: "ToolError",
    message: "there is nobody to greet",
    location: expect.stringMatching(/^src\\/index\\.ts:\\d+:\\d+$/),
  });
});
`,
    "README.md": `# ${packageName}

A HiAgent plugin (\`${plugin}\`), made with \`hiagent-plugin init\`.

\`\`\`sh
npm install                      # the SDK, its CLI and vitest
npx hiagent-plugin build         # bundle and check it as the server would
npx hiagent-plugin run --tool greet --input '{"name":"Ada"}'
npm test                         # tests run in the real sandbox
npx hiagent-plugin pack          # dist/${packageName}-0.1.0.zip
npx hiagent-plugin serve         # a local runtime with this plugin, reloaded on change
\`\`\`

Install the zip on a runtime:

\`\`\`sh
curl -X POST http://127.0.0.1:8000/v1/InstallPackage \\
  -d '{"uri": "file:///path/to/dist/${packageName}-0.1.0.zip", "filename": "${packageName}-0.1.0.zip", "force": true}'
\`\`\`

To call an HTTP API, list its origin in \`package.json\` under
\`hiagent.permissions.fetch\` (e.g. \`["https://api.example.com"]\`) and use \`ctx.fetch\`.
`,
  };
}
