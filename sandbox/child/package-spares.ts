// Package spares of one sandbox child: for a few packages, an isolate with the bundle
// already loaded and no tenant yet, handed whole to the next tenant that calls the
// package (whose first call then skips the load) and made again for the one after.
// A package gets one when an install prepares it, or when it starts cold a second
// time in this process; at most `cap` packages have one, least recently used go first.
import type { PackageTarget } from "../sandbox-api.ts";
import type { PluginIsolate } from "./plugin-isolate.ts";

interface PackageSpare {
  target: PackageTarget;
  /** Null once making it failed. */
  isolate: Promise<PluginIsolate | null>;
  /** Set once the isolate is loaded (and compacted): only then is it handed out. */
  ready: PluginIsolate | null;
}

function packageKey(t: PackageTarget): string {
  return `${t.pkg}\u0000${t.version}\u0000${t.dir}`;
}

export class PackageSpares {
  /** By package key, least recently prepared or used first. */
  private readonly spares = new Map<string, PackageSpare>();
  /** Packages with a cold start here lately (a second one makes the package worth a spare). */
  private readonly coldStarted = new Set<string>();

  constructor(
    private readonly cap: number,
    /** Makes a loaded, tenant-less isolate of the package; null when that fails. */
    private readonly make: (target: PackageTarget) => Promise<PluginIsolate | null>,
  ) {}

  /** Has a spare of the package made, unless it has one (which then counts as used). */
  prepare(target: PackageTarget): void {
    if (this.cap === 0) return;
    const key = packageKey(target);
    const known = this.spares.get(key);
    if (known) {
      this.spares.delete(key);
      this.spares.set(key, known);
      return;
    }
    const spare: PackageSpare = { target: { pkg: target.pkg, version: target.version, dir: target.dir, artifacts: target.artifacts }, isolate: this.make(target), ready: null };
    void spare.isolate.then((isolate) => {
      spare.ready = isolate;
      // A failed one makes room: the package may be prepared again later.
      if (isolate === null && this.spares.get(key) === spare) this.spares.delete(key);
    });
    this.spares.set(key, spare);
    while (this.spares.size > this.cap) {
      const [oldest, victim] = this.spares.entries().next().value!;
      this.spares.delete(oldest);
      void victim.isolate.then((i) => i?.dispose("evicted"));
    }
  }

  /**
   * The package's spare, if one is ready: taken, so no other tenant gets it. One still
   * being made is left for the next tenant (waiting for it would cost this call more
   * than loading the bundle itself).
   */
  take(target: PackageTarget): PluginIsolate | null {
    const key = packageKey(target);
    const spare = this.spares.get(key);
    if (!spare || spare.ready === null) return null;
    this.spares.delete(key);
    return spare.ready.disposed ? null : spare.ready;
  }

  /** Records a cold start; says whether the package should get a (new) spare. */
  coldStart(target: PackageTarget, tookSpare: boolean): boolean {
    if (this.cap === 0) return false;
    const key = packageKey(target);
    const again = this.coldStarted.delete(key);
    this.coldStarted.add(key);
    while (this.coldStarted.size > this.cap * 16) this.coldStarted.delete(this.coldStarted.values().next().value!);
    return tookSpare || again;
  }

  /** Disposes the spares of a package version and forgets its cold starts. */
  drop(pkg: string, version: string): void {
    for (const [key, spare] of [...this.spares]) {
      if (spare.target.pkg === pkg && spare.target.version === version) {
        this.spares.delete(key);
        void spare.isolate.then((i) => i?.dispose("dropped"));
      }
    }
    for (const key of [...this.coldStarted]) if (key.startsWith(`${pkg}\u0000${version}\u0000`)) this.coldStarted.delete(key);
  }

  /** `name@version` of each package whose spare is loaded and waiting for a tenant. */
  ready(): string[] {
    return [...this.spares.values()].filter((s) => s.ready !== null && !s.ready.disposed).map((s) => `${s.target.pkg}@${s.target.version}`);
  }

  async close(): Promise<void> {
    const all = [...this.spares.values()];
    this.spares.clear();
    for (const spare of all) (await spare.isolate)?.dispose("closed");
  }
}
