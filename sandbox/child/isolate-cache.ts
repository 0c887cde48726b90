// The warm isolates of one sandbox child: one per tenant + package + version, at most
// `cap` of them (least recently used idle ones are disposed first) and at most
// `tenantCap` of one tenant's (that tenant's own least recently used idle ones go
// first); one spare isolate with the prelude already evaluated so a cold start only
// loads the bundle; and, for a few packages, a package spare with the bundle loaded
// too, handed whole to the next tenant that calls the package.
import { sep } from "node:path";
import type { IsolateTarget, PackageTarget } from "../sandbox-api.ts";
import type { SandboxOptions } from "../options.ts";
import { readInstalled, readSourceMap } from "../package-files.ts";
import { InstalledFilesCache, type PackageFileSource, type VerifiedFiles } from "./installed-files.ts";
import { PackageSpares } from "./package-spares.ts";
import type { PluginIsolate } from "./plugin-isolate.ts";

export interface WarmIsolate {
  key: string;
  target: IsolateTarget;
  isolate: PluginIsolate;
  /** The package's `hiagent.permissions.fetch` origins. */
  fetchOrigins: string[];
  inFlight: number;
  lastUsed: number;
  /** Calls since the isolate was last compacted; compactedAt is when (0: never). */
  callsSinceCompact: number;
  compactedAt: number;
}

/** Evaluates a bundle in an isolate; with `produceCache`, returns the code cache V8 made of it. */
export type IsolateLoader = (isolate: PluginIsolate, code: string, codeCache: Buffer | null, produceCache: boolean) => Promise<Buffer | null>;

/** How a cold start went, for the debug log (and for tuning spares and caches). */
export interface ColdStartInfo {
  target: IsolateTarget;
  read_ms: number;
  isolate_ms: number;
  load_ms: number;
  /** A prelude-ready spare was used. */
  spare: boolean;
  /** A package spare (bundle already loaded) was used: nothing was loaded on this call's path. */
  package_spare: boolean;
  code_cache: boolean;
  /** The stored code cache failed verification and was made again from the verified bundle. */
  code_cache_rebuilt: boolean;
}

/** One child's share of `tenant_max_isolates`, split across processes as max_isolates is. */
export function tenantIsolateCap(options: Pick<SandboxOptions, "tenant_max_isolates" | "max_isolates" | "processes">): number {
  return Math.max(1, Math.ceil((options.tenant_max_isolates ?? options.max_isolates) / options.processes));
}

const SPARE_REFILL_DELAY_MS = 100;
/** An isolate idle this long, and used since its last compaction, is compacted. */
const IDLE_COMPACT_MS = 1_000;
/** …but not more often than this. */
const RECOMPACT_MS = 60_000;

export function isolateKey(t: { tenant: string; pkg: string; version: string }): string {
  return `${t.tenant}\u0000${t.pkg}\u0000${t.version}`;
}

export class IsolateCache {
  private readonly entries = new Map<string, WarmIsolate>();
  private readonly loading = new Map<string, Promise<WarmIsolate>>();
  private spare: Promise<PluginIsolate> | null = null;
  private readonly installed: InstalledFilesCache;
  private readonly packageSpares: PackageSpares;
  private compacting = false;

  constructor(
    private readonly cap: number,
    private readonly create: () => Promise<PluginIsolate>,
    private readonly loadBundle: IsolateLoader,
    private readonly onColdStart: (info: ColdStartInfo) => void = () => {},
    private readonly tenantCap: number = Number.POSITIVE_INFINITY,
    packageSpareCap = 0,
    /** Compacts an isolate's heap (spares before they are handed out; idle isolates). */
    private readonly compact: (isolate: PluginIsolate) => Promise<void> = async () => {},
    /** Where package files come from: the host, in a sandbox child; the disk, in unit tests. */
    files: PackageFileSource = { installed: readInstalled, sourceMap: readSourceMap },
  ) {
    this.installed = new InstalledFilesCache(64, files);
    this.packageSpares = new PackageSpares(packageSpareCap, (target) => this.makePackageSpare(target));
  }

  /** Maps a plugin stack to the author's sources (via the installed source map). */
  async mapStack(target: PackageTarget, stack: string): Promise<string> {
    const mapper = await this.installed.mapper(target);
    return mapper ? mapper.mapStack(stack) : stack;
  }

  /** `name@version` of the packages whose spare is loaded and waiting (for health). */
  readySpares(): string[] {
    return this.packageSpares.ready();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Keeps one prelude-ready isolate aside, made off the hot path. */
  refillSpare(): void {
    if (this.spare) return;
    const p = this.create().then(async (isolate) => {
      await isolate.warm(5_000).catch(() => undefined);
      await this.compact(isolate).catch(() => undefined);
      return isolate;
    });
    p.catch(() => {
      if (this.spare === p) this.spare = null;
    });
    this.spare = p;
  }

  private async takeFresh(): Promise<{ isolate: PluginIsolate; spare: boolean }> {
    const spare = this.spare;
    this.spare = null;
    const isolate = spare ? await spare.catch(() => this.create()) : await this.create();
    return { isolate, spare: spare !== null };
  }

  /** Returns the warm isolate for the target (loading it on first use), marked in use. */
  async acquire(target: IsolateTarget): Promise<WarmIsolate> {
    const key = isolateKey(target);
    let entry = this.entries.get(key);
    if (entry && entry.isolate.disposed) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (!entry) {
      let pending = this.loading.get(key);
      if (!pending) {
        pending = this.load(key, target);
        this.loading.set(key, pending);
        pending.finally(() => this.loading.delete(key)).catch(() => {});
      }
      entry = await pending;
    }
    entry.inFlight++;
    entry.callsSinceCompact++;
    entry.lastUsed = Date.now();
    // Evicting only once the entry is in use, so a fresh isolate is never its own victim.
    this.evictTenant(target.tenant);
    this.evict();
    return entry;
  }

  release(entry: WarmIsolate): void {
    entry.inFlight = Math.max(0, entry.inFlight - 1);
    entry.lastUsed = Date.now();
    if (entry.isolate.disposed) this.remove(entry);
    this.evictTenant(entry.target.tenant);
    this.evict();
  }

  remove(entry: WarmIsolate): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
  }

  private async load(key: string, target: IsolateTarget): Promise<WarmIsolate> {
    const t0 = performance.now();
    const files = await this.installed.get(target);
    const t1 = performance.now();
    const prepared = this.packageSpares.take(target);
    let isolate: PluginIsolate;
    let spare = false;
    let rebuilt = false;
    let t2 = performance.now();
    if (prepared) {
      isolate = prepared;
    } else {
      ({ isolate, spare } = await this.takeFresh());
      t2 = performance.now();
      try {
        rebuilt = await this.loadFiles(isolate, files);
      } catch (err) {
        isolate.dispose("error");
        throw err;
      }
    }
    const t3 = performance.now();
    isolate.sampleHeap();
    // Spares are made a little later, so making them (tens of ms of CPU) does not
    // compete with the first call that this cold start is for.
    const packageWanted = this.packageSpares.coldStart(target, prepared !== null);
    setTimeout(() => {
      if (!prepared) this.refillSpare();
      if (packageWanted) this.packageSpares.prepare(target);
    }, SPARE_REFILL_DELAY_MS).unref();
    this.onColdStart({
      target,
      read_ms: t1 - t0,
      isolate_ms: t2 - t1,
      load_ms: t3 - t2,
      spare,
      package_spare: prepared !== null,
      code_cache: files.cache !== null && !isolate.cacheRejected && !rebuilt,
      code_cache_rebuilt: rebuilt,
    });
    const entry: WarmIsolate = { key, target, isolate, fetchOrigins: files.origins, inFlight: 0, lastUsed: Date.now(), callsSinceCompact: 0, compactedAt: 0 };
    this.entries.set(key, entry);
    return entry;
  }

  /**
   * Loads the files into the isolate. A refused code cache is replaced, the first time,
   * by one V8 makes from the verified bundle (kept in memory, never written back).
   */
  private async loadFiles(isolate: PluginIsolate, files: VerifiedFiles): Promise<boolean> {
    const rebuild = files.cache === null && files.cacheRefused;
    const produced = await this.loadBundle(isolate, files.code, files.cache, rebuild);
    if (rebuild && produced !== null) {
      files.cache = produced;
      files.cacheRefused = false;
    }
    return rebuild;
  }

  /** Loads the package into a tenant-less isolate kept aside for its next tenant. */
  preparePackage(target: PackageTarget): void {
    this.packageSpares.prepare(target);
  }

  private async makePackageSpare(target: PackageTarget): Promise<PluginIsolate | null> {
    let isolate: PluginIsolate | null = null;
    try {
      const files = await this.installed.get(target);
      isolate = await this.create();
      await isolate.warm(5_000).catch(() => undefined);
      await this.loadFiles(isolate, files);
      await this.compact(isolate).catch(() => undefined);
      return isolate;
    } catch {
      isolate?.dispose("error");
      return null;
    }
  }

  /**
   * Compacts one isolate that has gone idle since it was used: V8 would give the memory
   * of its garbage back by itself only if the isolate ran tasks while idle. One at a
   * time per process (each takes tens of ms of CPU), least recently used first.
   */
  compactIdle(now = Date.now()): void {
    if (this.compacting) return;
    let pick: WarmIsolate | null = null;
    for (const e of this.entries.values()) {
      if (e.inFlight > 0 || e.callsSinceCompact === 0 || now - e.lastUsed < IDLE_COMPACT_MS || now - e.compactedAt < RECOMPACT_MS || e.isolate.disposed) continue;
      if (pick === null || e.lastUsed < pick.lastUsed) pick = e;
    }
    if (pick === null) return;
    pick.callsSinceCompact = 0;
    pick.compactedAt = now;
    this.compacting = true;
    void this.compact(pick.isolate)
      .catch(() => undefined)
      .finally(() => {
        this.compacting = false;
      });
  }

  /** Disposes least recently used idle isolates beyond the cap. */
  private evict(): void {
    if (this.entries.size <= this.cap) return;
    const idle = [...this.entries.values()].filter((e) => e.inFlight === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const e of idle) {
      if (this.entries.size <= this.cap) break;
      this.entries.delete(e.key);
      e.isolate.dispose("evicted");
    }
  }

  /** Disposes the tenant's own least recently used idle isolates beyond its cap. */
  private evictTenant(tenant: string): void {
    if (this.entries.size <= this.tenantCap) return;
    const own = [...this.entries.values()].filter((e) => e.target.tenant === tenant);
    let count = own.length;
    if (count <= this.tenantCap) return;
    const idle = own.filter((e) => e.inFlight === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const e of idle) {
      if (count <= this.tenantCap) break;
      this.entries.delete(e.key);
      e.isolate.dispose("evicted");
      count--;
    }
  }

  /** Disposes every isolate of a package version, whatever the tenant. */
  drop(pkg: string, version: string): void {
    this.installed.forget((dir) => dir.endsWith(`${sep}${pkg}${sep}${version}`));
    this.packageSpares.drop(pkg, version);
    for (const e of [...this.entries.values()]) {
      if (e.target.pkg === pkg && e.target.version === version) {
        this.entries.delete(e.key);
        e.isolate.dispose("dropped");
      }
    }
  }

  async close(): Promise<void> {
    for (const e of this.entries.values()) e.isolate.dispose("closed");
    this.entries.clear();
    await this.packageSpares.close();
    const spare = this.spare;
    this.spare = null;
    if (spare) (await spare.catch(() => null))?.dispose("closed");
  }
}
