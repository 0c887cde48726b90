// Secret fields at install and at run time, through the SDK's loadPlugin (a real install
// and real sandbox processes): an exposed secret reaches the plugin as its raw value and
// is flagged in the metadata; with sandbox.allow_exposed_secrets false such a package
// is refused at install and, installed earlier, at its first call; a secret field with
// a pattern could never hold a placeholder and is refused at install.
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSandbox, SandboxOptionsSchema } from "../../sandbox/index.ts";
import { loadPlugin, type LoadedPlugin } from "../../sdk/src/testing.ts";
import { hashArtifacts } from "../../host/package/artifact-record.ts";

const folders: string[] = [];
const loaded: LoadedPlugin[] = [];

async function pkg(name: string, config: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `${name}-`));
  folders.push(dir);
  await mkdir(path.join(dir, "src"));
  await writeFile(
    path.join(dir, "package.json"),
    JSON.stringify({ name, version: "1.0.0", type: "module", hiagent: { entry: "src/index.ts", permissions: { fetch: [] } }, dependencies: { "hiagent-plugin-sdk": "*" } }),
  );
  await writeFile(
    path.join(dir, "src/index.ts"),
    `import { definePlugin, defineTool, secret, z } from "hiagent-plugin-sdk";
export default definePlugin({ name: "P", config: z.object(${config}), tools: { show: defineTool({ run: (_i, ctx) => ctx.cfg }) } });
`,
  );
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error("expected a rejection");
}

afterAll(async () => {
  for (const p of loaded) await p.close();
  for (const dir of folders) await rm(dir, { recursive: true, force: true });
});

describe("exposed secrets", () => {
  it("reach the plugin as their raw value, flagged x-hiagent-secret-exposed, while a plain secret is a placeholder", async () => {
    const plugin = await loadPlugin(await pkg("exposed_ok", "{ raw: secret(z.string(), { exposed: true }), hidden: secret(z.string()) }"));
    loaded.push(plugin);
    expect(plugin.meta.plugins[0]?.config_schema).toMatchObject({ properties: { raw: { "x-hiagent-secret": true, "x-hiagent-secret-exposed": true } } });
    const cfg = await plugin.call<{ raw: string; hidden: string }>("P", "show", {}, { raw: "raw-value-1", hidden: "hidden-value-1" });
    expect(cfg.raw).toBe("raw-value-1");
    expect(cfg.hidden).toMatch(/^hsp_/);
  });

  it("are refused at install and at run time when sandbox.allow_exposed_secrets is false", async () => {
    const dir = await pkg("exposed_refused", "{ raw: secret(z.string(), { exposed: true }) }");
    const err = await rejection(loadPlugin(dir, { sandbox: { allow_exposed_secrets: false } }));
    expect(err.code).toBe("InvalidPackage");
    expect(err.message).toMatch(/plugin P receives the raw value of its secret config field raw.*allow_exposed_secrets: false/);

    // Installed while the server allowed it, then run by a server that does not.
    const plugin = await loadPlugin(dir);
    loaded.push(plugin);
    const strict = createSandbox(SandboxOptionsSchema.parse({ processes: 1, allow_exposed_secrets: false }));
    try {
      const call = { tenant: "t", pkg: "exposed_refused", version: "1.0.0", dir: plugin.dir, artifacts: await hashArtifacts(plugin.dir), plugin: "P", tool: "show", inputJson: "{}", cfgJson: '{"raw":"x"}' };
      expect(await rejection(strict.runTool(call))).toMatchObject({ code: "InvalidPackage", message: expect.stringMatching(/allow_exposed_secrets: false/) });
    } finally {
      await strict.close();
    }
  });
});

describe("secret fields that cannot hold a placeholder", () => {
  it("a pattern on a secret is InvalidPackage at install, naming the field and the way out", async () => {
    const err = await rejection(loadPlugin(await pkg("secret_regex", "{ key: secret(z.string().regex(/^sk-/)) }")));
    expect(err.code).toBe("InvalidPackage");
    expect(err.message).toMatch(/secret config field key has a pattern.*exposed: true/);
  });
});
