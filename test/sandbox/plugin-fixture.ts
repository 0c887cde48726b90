// Installs plugin sources for sandbox tests the way the package builder does
// (bundle → inspect → code cache → installed folder), without the HTTP layer.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { hashArtifacts } from "../../host/package/artifact-record.ts";
import { bundlePackage } from "../../host/package/bundler.ts";
import { createSandbox, SandboxOptionsSchema, type SandboxOptions } from "../../sandbox/index.ts";
import type { SandboxProcessPool } from "../../sandbox/process-pool.ts";
import type { CallUsage, IsolateTarget } from "../../sandbox/sandbox-api.ts";

export interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

export class SandboxHarness {
  readonly logs: LogLine[] = [];
  sandbox!: SandboxProcessPool;
  private root = "";

  constructor(private readonly overrides: Partial<Record<string, unknown>> = {}) {}

  async start(): Promise<void> {
    this.root = await mkdtemp(join(tmpdir(), "hiagent-sandbox-test-"));
    const options: SandboxOptions = SandboxOptionsSchema.parse(this.overrides);
    const push = (level: string) => (fields: object, msg?: string) => this.logs.push({ level, fields: fields as Record<string, unknown>, msg: msg ?? "" });
    this.sandbox = createSandbox(options, { debug: push("debug"), info: push("info"), warn: push("warn"), error: push("error") });
    await this.sandbox.start();
  }

  /** Bundles `files` (package-relative path → source) as package `name`@1.0.0 and installs it. */
  async install(name: string, files: Record<string, string>, fetchOrigins?: string[]): Promise<Omit<IsolateTarget, "tenant">> {
    const src = join(this.root, "src", name);
    const manifest = { name, version: "1.0.0", hiagent: { entry: "index.ts", ...(fetchOrigins ? { permissions: { fetch: fetchOrigins } } : {}) } };
    await mkdir(src, { recursive: true });
    await writeFile(join(src, "package.json"), JSON.stringify(manifest));
    for (const [file, text] of Object.entries(files)) {
      await mkdir(dirname(join(src, file)), { recursive: true });
      await writeFile(join(src, file), text);
    }
    const bundle = await bundlePackage({ packageDir: src, entry: "index.ts" });
    const inspected = await this.sandbox.inspect({ pkg: name, version: "1.0.0", code: bundle.code });
    const dir = join(this.root, "extensions", name, "1.0.0");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "package.json"), JSON.stringify(manifest));
    await writeFile(join(dir, "bundle.js"), bundle.code);
    await writeFile(join(dir, "bundle.js.map"), bundle.map);
    if (inspected.codeCache) await writeFile(join(dir, "bundle.cache"), inspected.codeCache);
    await writeFile(join(dir, "meta.json"), JSON.stringify({ name, version: "1.0.0", plugins: inspected.plugins }));
    return { pkg: name, version: "1.0.0", dir, artifacts: await hashArtifacts(dir) };
  }

  async call(target: Omit<IsolateTarget, "tenant">, plugin: string, tool: string, input: unknown = {}, opts: { cfg?: unknown; tenant?: string; signal?: AbortSignal } = {}): Promise<{ value: unknown; usage: CallUsage }> {
    const r = await this.sandbox.runTool({
      ...target,
      tenant: opts.tenant ?? "t1",
      plugin,
      tool,
      inputJson: JSON.stringify(input),
      cfgJson: JSON.stringify(opts.cfg ?? null),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return { value: JSON.parse(r.json), usage: r.usage };
  }

  /** The error code (and message) a call fails with. */
  async failure(target: Omit<IsolateTarget, "tenant">, plugin: string, tool: string, input: unknown = {}, opts: { cfg?: unknown; tenant?: string } = {}): Promise<{ code: string; message: string; data: unknown }> {
    try {
      await this.call(target, plugin, tool, input, opts);
    } catch (err) {
      const e = err as { code: string; message: string; data: unknown };
      return { code: e.code, message: e.message, data: e.data };
    }
    throw new Error(`expected ${plugin}.${tool} to fail`);
  }

  async stop(): Promise<void> {
    await this.sandbox?.close();
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }
}

/** A one-plugin package source with the given tools body (inside `tools: { … }`). */
export function pluginSource(tools: string, prefix = ""): Record<string, string> {
  return {
    "index.ts": `import { definePlugin, defineTool, PluginError, z } from "hiagent-plugin-sdk";\n${prefix}\nexport default definePlugin({ name: "P", description: "test plugin", tools: { ${tools} } });\n`,
  };
}
