// Stored plugin configs in one local file, for a deployment without Redis. The file is
// read once and kept in memory (this process is its only writer); every change is
// written whole to a temporary file (mode 0600) in the same folder and renamed over the
// old one, so a crash leaves the old file or the new, never half of one. Changes are
// applied one at a time.
import { randomUUID } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { RuntimeError } from "../../sandbox/errors.ts";
import { byPackageThenPlugin, StoredPluginConfigSchema, type PluginConfigStore, type StoredPluginConfig } from "./plugin-config-store.ts";

const FileSchema = z.object({
  version: z.literal(1),
  /** tenant → `JSON.stringify([pkg, plugin])` → record. */
  tenants: z.record(z.string(), z.record(z.string(), StoredPluginConfigSchema)),
});

type FileContent = z.infer<typeof FileSchema>;

const fieldOf = (pkg: string, plugin: string): string => JSON.stringify([pkg, plugin]);

export class FilePluginConfigStore implements PluginConfigStore {
  readonly #file: string;
  #content: Promise<FileContent> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.#file = file;
  }

  async get(tenant: string, pkg: string, plugin: string): Promise<StoredPluginConfig | null> {
    const content = await this.#load();
    return content.tenants[tenant]?.[fieldOf(pkg, plugin)] ?? null;
  }

  put(tenant: string, record: StoredPluginConfig): Promise<void> {
    return this.#change((content) => {
      const records = content.tenants[tenant] ?? {};
      records[fieldOf(record.pkg, record.plugin)] = record;
      content.tenants[tenant] = records;
      return true;
    }).then(() => undefined);
  }

  delete(tenant: string, pkg: string, plugin: string): Promise<boolean> {
    return this.#change((content) => {
      const records = content.tenants[tenant];
      const field = fieldOf(pkg, plugin);
      if (records === undefined || !Object.hasOwn(records, field)) return false;
      delete records[field];
      if (Object.keys(records).length === 0) delete content.tenants[tenant];
      return true;
    });
  }

  async list(tenant: string): Promise<StoredPluginConfig[]> {
    const content = await this.#load();
    return Object.values(content.tenants[tenant] ?? {}).sort(byPackageThenPlugin);
  }

  async close(): Promise<void> {
    await this.#queue.catch(() => undefined);
  }

  #load(): Promise<FileContent> {
    this.#content ??= this.#read();
    return this.#content;
  }

  async #read(): Promise<FileContent> {
    let text: string;
    try {
      text = await readFile(this.#file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, tenants: {} };
      this.#content = undefined;
      throw new RuntimeError("Internal", `cannot read the plugin config file ${this.#file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    let parsed: ReturnType<typeof FileSchema.safeParse>;
    try {
      parsed = FileSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = FileSchema.safeParse(undefined);
    }
    if (!parsed.success) {
      this.#content = undefined;
      throw new RuntimeError("Internal", `the plugin config file ${this.#file} is not a plugin config store (damaged or edited by hand)`);
    }
    return parsed.data;
  }

  /** Applies `apply` to a copy and writes it when `apply` says it changed something. */
  #change(apply: (content: FileContent) => boolean): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      const current = await this.#load();
      const next = structuredClone(current);
      if (!apply(next)) return false;
      await this.#write(next);
      this.#content = Promise.resolve(next);
      return true;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #write(content: FileContent): Promise<void> {
    const dir = path.dirname(this.#file);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(dir, `.${path.basename(this.#file)}.${randomUUID()}.tmp`);
    try {
      await writeFile(tmp, JSON.stringify(content), { mode: 0o600, flag: "wx" });
      await chmod(tmp, 0o600);
      await rename(tmp, this.#file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
