// The runtime behind `hiagent-plugin serve`: the server's own composition (host/app.ts)
// on a temporary extensions folder, with the plugin folder installed through the HTTP
// API and reinstalled whenever its files change. Imports the runtime by relative path:
// the SDK is a workspace of the runtime's repository.
import { watch, type FSWatcher } from "node:fs";
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { startRuntime, type Runtime } from "../../host/app.ts";
import { ConfigSchema } from "../../host/config/index.ts";
import { createLogger } from "../../host/logging/logger.ts";
import { checkLoopbackOrigins } from "../src/testing/loopback-origins.ts";
import { packFolder } from "../src/testing/package-archive.ts";

export interface DevServerOptions {
  dir: string;
  host: string;
  port: number;
  logLevel: string;
  /** Where the server's log lines (JSON) go. */
  logTo: NodeJS.WritableStream;
  allowOrigins: string[];
  /** Told about each (re)install, successful or not. */
  report(line: string): void;
}

interface ApiAnswer {
  data: unknown;
  error: { code: string; message: string } | null;
}

/** Changes under these are the server's or the tools' own, not the plugin's. */
function isIgnored(file: string): boolean {
  const parts = file.split(/[\\/]/);
  return parts[0] === "dist" || parts[0] === "node_modules" || parts.some((part) => part.startsWith("."));
}

export class DevServer {
  #runtime: Runtime | null = null;
  #watcher: FSWatcher | null = null;
  #root = "";
  #installed: { name: string; version: string } | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> = Promise.resolve();
  #pending = false;

  constructor(private readonly options: DevServerOptions) {}

  get url(): string {
    return this.#runtime?.url ?? "";
  }

  async start(): Promise<void> {
    const origins = checkLoopbackOrigins(this.options.allowOrigins);
    this.#root = await realpath(await mkdtemp(path.join(tmpdir(), "hiagent-plugin-serve-")));
    await mkdir(path.join(this.#root, "packages"));
    const config = ConfigSchema.parse({
      log_level: this.options.logLevel,
      server: { host: this.options.host, port: this.options.port },
      extensions_dir: path.join(this.#root, "extensions"),
      storage: { backend: "local_path", local_path: { base_dir: path.join(this.#root, "storage") } },
      package: { file_roots: [path.join(this.#root, "packages")] },
      sandbox: { processes: 1, fetch: { allow_private_origins: origins, extra_origins: origins } },
      // Kept in the throwaway folder too, never in the author's working directory.
      secrets: { generated_key_file: path.join(this.#root, "secrets.key") },
      plugin_configs: { file_path: path.join(this.#root, "plugin-configs.json") },
    });
    this.#runtime = await startRuntime(config, { logger: createLogger({ level: config.log_level, destination: this.options.logTo }) });
    await this.#install();
    this.#watcher = watch(this.options.dir, { recursive: true }, (_event, file) => {
      if (file && isIgnored(String(file))) return;
      if (this.#timer) clearTimeout(this.#timer);
      // Editors write a file in several steps; one rebuild per burst is enough.
      this.#timer = setTimeout(() => this.#schedule(), 150);
    });
  }

  /** Runs one reinstall at a time; a change during a reinstall queues exactly one more. */
  #schedule(): void {
    if (this.#pending) return;
    this.#pending = true;
    this.#running = this.#running.then(() => {
      this.#pending = false;
      return this.#install();
    });
  }

  async #post(operation: string, body: object): Promise<ApiAnswer> {
    const response = await fetch(`${this.url}/v1/${operation}`, { method: "POST", body: JSON.stringify(body) });
    return (await response.json()) as ApiAnswer;
  }

  async #install(): Promise<void> {
    try {
      const packed = await packFolder(this.options.dir);
      const file = path.join(this.#root, "packages", packed.filename);
      await writeFile(file, packed.zip);
      const source = { uri: pathToFileURL(file).href, filename: packed.filename };
      // Check the new build first, so a broken edit leaves the last good one serving.
      const checked = await this.#post("ReadPackageMetadata", source);
      if (checked.error) throw new Error(`${checked.error.code}: ${checked.error.message}`);
      // Deleting drops the warm isolates that still hold the old code.
      if (this.#installed) await this.#post("DeletePackage", { pkg: this.#installed.name, version: this.#installed.version });
      const installed = await this.#post("InstallPackage", { ...source, force: true });
      if (installed.error) throw new Error(`${installed.error.code}: ${installed.error.message}`);
      const meta = installed.data as { name: string; version: string; plugins: { name: string; tools: Record<string, unknown> }[] };
      this.#installed = { name: meta.name, version: meta.version };
      const tools = meta.plugins.map((p) => `${p.name}(${Object.keys(p.tools).join(", ")})`).join(" ");
      this.options.report(`installed ${meta.name}@${meta.version}: ${tools}`);
    } catch (err) {
      this.options.report(`build failed, still serving the last good build: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Resolves once the reinstalls queued so far are done (tests use it). */
  idle(): Promise<void> {
    return this.#running;
  }

  async close(): Promise<void> {
    this.#watcher?.close();
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running.catch(() => undefined);
    await this.#runtime?.close();
    if (this.#root) await rm(this.#root, { recursive: true, force: true });
  }
}
