// Loads a plugin package into the same sandbox the server runs, for an author's tests
// and the CLI: the folder is packed as `pack` would, installed through the server's
// own PackageManager (unpack, bundle, inspect, code cache, publish) into a temporary
// extensions folder, and called through the real sandbox processes. Node-side; it
// imports the runtime by relative path (the SDK is a workspace of its repository).
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { z } from "zod";
import { PackageManager, type PackageMeta } from "../../../host/package/index.ts";
import { createSandbox, SandboxOptionsSchema, type ArtifactDigests, type CallUsage, type SandboxLogger } from "../../../sandbox/index.ts";
import type { SandboxProcessPool } from "../../../sandbox/process-pool.ts";
import { checkLoopbackOrigins } from "./loopback-origins.ts";
import { packFolder } from "./package-archive.ts";
import { CallErrorMapper } from "./plugin-call-error.ts";

export type SandboxOptionsInput = z.input<typeof SandboxOptionsSchema>;

export interface PluginLogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  plugin: string;
  tool: string;
}

export interface LoadPluginOptions {
  /**
   * Loopback origins of fake upstreams (e.g. `http://127.0.0.1:4010`) the plugin may
   * reach besides its manifest's `permissions.fetch`: they are allowed as private
   * origins and added to the fetch allow-list and to the secret origins (they stand in
   * for the real API, so the plugin's secrets reach them), as an operator's config would.
   */
  allowOrigins?: string[];
  /** Sandbox options as in config.yaml's `sandbox` section (one process by default). */
  sandbox?: SandboxOptionsInput;
  /** The tenant calls run for (default `test`). */
  tenant?: string;
  /** Called with each line the plugin logs (they are also kept in `logs`). */
  onLog?: (line: PluginLogLine) => void;
}

/** Per-call settings. */
export interface CallOptions {
  /** Run this call as another tenant (its own isolate, as on the server). */
  tenant?: string;
  /** Aborting it cancels the call, as a client disconnect does. */
  signal?: AbortSignal;
}

export interface LoadedPlugin {
  /** The installed package's metadata, as InstallPackage returns it. */
  readonly meta: PackageMeta;
  /** The installed folder (`extensions/{name}/{version}`) in the temporary extensions folder. */
  readonly dir: string;
  /** Lines the plugin logged, oldest first. */
  readonly logs: PluginLogLine[];
  /** Runs a tool; resolves with its result, rejects with a PluginCallError. */
  call<T = unknown>(plugin: string, tool: string, input?: unknown, cfg?: unknown, options?: CallOptions): Promise<T>;
  /** As `call`, with the call's resource receipt. */
  callWithUsage<T = unknown>(plugin: string, tool: string, input?: unknown, cfg?: unknown, options?: CallOptions): Promise<{ value: T; usage: CallUsage }>;
  /** Runs a tool as a stream of parsed chunks; leaving the loop early stops the tool. */
  stream<T = unknown>(plugin: string, tool: string, input?: unknown, cfg?: unknown, options?: CallOptions): AsyncIterable<T>;
  /** Resolves when cfg is accepted; rejects with `InvalidConfig` / `PluginInvalidConfig`. */
  validate(plugin: string, cfg: unknown, options?: CallOptions): Promise<void>;
  /** Stops the sandbox processes and removes the temporary folder. */
  close(): Promise<void>;
}

function sandboxOptions(options: LoadPluginOptions) {
  const input: SandboxOptionsInput = { processes: 1, ...options.sandbox };
  const origins = checkLoopbackOrigins(options.allowOrigins ?? []);
  const fetch = input.fetch ?? {};
  return SandboxOptionsSchema.parse({
    ...input,
    fetch: {
      ...fetch,
      allow_private_origins: [...(fetch.allow_private_origins ?? []), ...origins],
      extra_origins: [...(fetch.extra_origins ?? []), ...origins],
      secret_origins: [...(fetch.secret_origins ?? []), ...origins],
    },
  });
}

function pluginLogger(logs: PluginLogLine[], onLog: LoadPluginOptions["onLog"]): SandboxLogger {
  const record = (level: PluginLogLine["level"]) => (fields: object, msg?: string) => {
    const f = fields as { source?: unknown; plugin?: unknown; tool?: unknown };
    if (f.source !== "plugin") return;
    const line: PluginLogLine = { level, message: msg ?? "", plugin: String(f.plugin ?? ""), tool: String(f.tool ?? "") };
    logs.push(line);
    onLog?.(line);
  };
  return { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") };
}

async function packageZip(source: string, into: string): Promise<{ file: string; filename: string }> {
  const info = await stat(source).catch(() => null);
  if (!info) throw new Error(`${source} does not exist`);
  if (info.isDirectory()) {
    const packed = await packFolder(source);
    const file = path.join(into, packed.filename);
    await writeFile(file, packed.zip);
    return { file, filename: packed.filename };
  }
  const file = path.join(into, path.basename(source));
  await writeFile(file, await readFile(source));
  return { file, filename: path.basename(source) };
}

/**
 * Builds the package at `folderOrZip` (a folder, or a zip as `pack` writes it; a path
 * or a file: URL such as `new URL("..", import.meta.url)`) with the server's builder
 * and loads it into a real sandbox.
 */
export async function loadPlugin(folderOrZip: string | URL, options: LoadPluginOptions = {}): Promise<LoadedPlugin> {
  const source = typeof folderOrZip === "string" ? path.resolve(folderOrZip) : fileURLToPath(folderOrZip);
  const sandboxConfig = sandboxOptions(options);
  const root = await realpath(await mkdtemp(path.join(tmpdir(), "hiagent-plugin-")));
  const logs: PluginLogLine[] = [];
  const sandbox: SandboxProcessPool = createSandbox(sandboxConfig, pluginLogger(logs, options.onLog));
  try {
    const zip = await packageZip(source, root);
    await sandbox.start();
    const packages = new PackageManager({
      extensionsDir: path.join(root, "extensions"),
      sandbox,
      maxPackageBytes: 50 * 1024 * 1024,
      fileRoots: [root],
      fetch: sandboxConfig.fetch,
      // The install lives as long as this harness: a key nobody keeps is enough.
      artifactKey: randomBytes(32),
    });
    const meta = await packages.install({ uri: pathToFileURL(zip.file).href, filename: zip.filename }, { force: true });
    const installed = await packages.get(meta.name, meta.version);
    if (!installed) throw new Error(`${meta.name}@${meta.version} was installed but cannot be found`);
    return new SandboxedPlugin(sandbox, installed.meta, installed.dir, installed.artifacts, options.tenant ?? "test", logs, root);
  } catch (err) {
    await sandbox.close().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    throw await new CallErrorMapper(root).toCallError(err);
  }
}

class SandboxedPlugin implements LoadedPlugin {
  readonly #errors: CallErrorMapper;

  constructor(
    private readonly sandbox: SandboxProcessPool,
    readonly meta: PackageMeta,
    readonly dir: string,
    private readonly artifacts: ArtifactDigests,
    private readonly tenant: string,
    readonly logs: PluginLogLine[],
    private readonly root: string,
  ) {
    this.#errors = new CallErrorMapper(dir);
  }

  #target(plugin: string, tool: string, input: unknown, cfg: unknown, options: CallOptions) {
    return {
      tenant: options.tenant ?? this.tenant,
      ...(options.signal ? { signal: options.signal } : {}),
      pkg: this.meta.name,
      version: this.meta.version,
      dir: this.dir,
      artifacts: this.artifacts,
      plugin,
      tool,
      inputJson: JSON.stringify(input ?? {}),
      cfgJson: JSON.stringify(cfg ?? null),
    };
  }

  async call<T = unknown>(plugin: string, tool: string, input?: unknown, cfg?: unknown, options: CallOptions = {}): Promise<T> {
    return (await this.callWithUsage<T>(plugin, tool, input, cfg, options)).value;
  }

  async callWithUsage<T = unknown>(plugin: string, tool: string, input?: unknown, cfg?: unknown, options: CallOptions = {}): Promise<{ value: T; usage: CallUsage }> {
    try {
      const result = await this.sandbox.runTool(this.#target(plugin, tool, input, cfg, options));
      return { value: JSON.parse(result.json) as T, usage: result.usage };
    } catch (err) {
      throw await this.#errors.toCallError(err);
    }
  }

  async *stream<T = unknown>(plugin: string, tool: string, input?: unknown, cfg?: unknown, options: CallOptions = {}): AsyncGenerator<T> {
    const chunks = this.sandbox.streamTool(this.#target(plugin, tool, input, cfg, options));
    let done = false;
    try {
      for await (const json of chunks) yield JSON.parse(json) as T;
      done = true;
    } catch (err) {
      done = true;
      throw await this.#errors.toCallError(err);
    } finally {
      if (!done) chunks.cancel();
    }
  }

  async validate(plugin: string, cfg: unknown, options: CallOptions = {}): Promise<void> {
    try {
      const { tenant, pkg, version, dir, artifacts, signal } = this.#target(plugin, "", null, cfg, options);
      await this.sandbox.validate({ tenant, pkg, version, dir, artifacts, plugin, cfgJson: JSON.stringify(cfg ?? null), ...(signal ? { signal } : {}) });
    } catch (err) {
      throw await this.#errors.toCallError(err);
    }
  }

  async close(): Promise<void> {
    await this.sandbox.close();
    await rm(this.root, { recursive: true, force: true });
  }
}
