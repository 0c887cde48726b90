// A real asynchronous install for exercising job queues: it stages files in a temp
// folder stage by stage, waits at a gate the test opens, publishes by rename and
// removes its staging on abort or failure — the shape of the package builder's work.
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { RuntimeError } from "../../../sandbox/errors.ts";
import type { InstallRunner } from "../../../host/jobs/index.ts";

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function newGate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export class InstallWorkload {
  readonly root: string;
  /** URIs in the order their installs started. */
  readonly started: string[] = [];
  active = 0;
  maxActive = 0;
  readonly #gates = new Map<string, Gate>();
  readonly #failures = new Map<string, number>();

  private constructor(root: string) {
    this.root = root;
  }

  static async create(): Promise<InstallWorkload> {
    return new InstallWorkload(await mkdtemp(path.join(tmpdir(), "job-queue-")));
  }

  /** The URI of a package `name@version`; its install holds at the bundle stage until opened. */
  uri(name: string, version = "1.0.0", { gated = false, failures = 0 } = {}): string {
    const uri = `test://${name}/${version}`;
    if (gated) this.#gates.set(uri, newGate());
    if (failures > 0) this.#failures.set(uri, failures);
    return uri;
  }

  open(uri: string): void {
    this.#gates.get(uri)?.open();
  }

  openAll(): void {
    for (const gate of this.#gates.values()) gate.open();
  }

  async published(): Promise<string[]> {
    const names = await readdir(this.root);
    return names.filter((n) => !n.startsWith("."));
  }

  async staging(): Promise<string[]> {
    return readdir(path.join(this.root, ".staging")).catch(() => []);
  }

  async dispose(): Promise<void> {
    this.openAll();
    await rm(this.root, { recursive: true, force: true });
  }

  readonly runner: InstallRunner = async (request, { signal, onStage }) => {
    const [name = "", version = ""] = request.uri.replace(/^test:\/\//, "").split("/");
    this.started.push(request.uri);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const staging = path.join(this.root, ".staging", randomUUID());
    try {
      onStage("download", 10);
      await mkdir(staging, { recursive: true });
      await writeFile(path.join(staging, "package.zip"), "zip bytes");
      await pause(5, signal);
      onStage("unpack", 30);
      await writeFile(path.join(staging, "package.json"), JSON.stringify({ name, version }));
      await pause(5, signal);
      onStage("bundle", 50);
      const gate = this.#gates.get(request.uri);
      if (gate !== undefined) await Promise.race([gate.promise, pause(60_000, signal)]);
      signal.throwIfAborted();
      const failures = this.#failures.get(request.uri) ?? 0;
      if (failures > 0) {
        this.#failures.set(request.uri, failures - 1);
        throw new RuntimeError("InvalidPackage", `package.json of ${name}: version is not semver`);
      }
      onStage("publish", 90);
      await writeFile(path.join(staging, "bundle.js"), "module.exports = {}");
      await rename(staging, path.join(this.root, `${name}@${version}`));
      return { name, version, uri: request.uri, filename: request.filename };
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    } finally {
      this.active--;
    }
  };
}
