// Which version serves a call: the runner's first step. A call names a version (served
// as is), a channel, or nothing (the `latest` channel, which follows the highest
// installed version until an operator sets it). Assignments are read from the channel
// store and cached here for CACHE_MS, so a change reaches every node within a second;
// the node that made it sees it at once. After a call on a version an assignment
// watches, its outcome is counted, and an error rate over the threshold rolls the
// channel back, logged with the figures that decided it.
import semver from "semver";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { Logger } from "../logging/logger.ts";
import { assignVersion, CHANNEL_PATTERN, LATEST, newAssignment, type Assignment, type WeightedVersion } from "./channel-model.ts";
import type { ChannelStore } from "./channel-store.ts";
import type { Duration } from "./duration.ts";

const CACHE_MS = 500;

export interface ServedVersion {
  pkg: string;
  version: string;
  /** The channel the version came from; null when the call named a version. */
  channel: string | null;
  assignment: Assignment | null;
}

export interface InstalledVersions {
  /** name → installed versions. */
  list(): Promise<{ name: string; version: string }[]>;
}

export interface SetChannelInput {
  pkg: string;
  channel: string;
  versions: WeightedVersion[];
  pins: Record<string, string>;
  auto_rollback?: { max_error_rate: number; window: Duration; min_calls: number } | undefined;
}

export interface ChannelView {
  channel: string;
  versions: WeightedVersion[];
  pins: Record<string, string>;
  auto_rollback: { max_error_rate: number; window: string; min_calls: number } | null;
  set_at: string | null;
  /** `latest` as nobody set it: the highest installed version. */
  implicit: boolean;
  previous: { versions: WeightedVersion[]; pins: Record<string, string>; set_at: string } | null;
}

export interface VersionChannelsOptions {
  store: ChannelStore;
  packages: InstalledVersions;
  logger: Pick<Logger, "warn">;
  now?: () => number;
}

/** A plugin's own failure (not the caller's): what the error rate counts. */
const FAILURES: ReadonlySet<string> = new Set(["ToolError", "ToolTimeout", "ToolMemoryLimit"]);

export function isPluginFailure(err: unknown): boolean {
  return err instanceof RuntimeError && FAILURES.has(err.code);
}

function invalid(path: string, message: string): RuntimeError {
  return new RuntimeError("InvalidRequest", `invalid request: body.${path}: ${message}`, {
    data: { issues: [{ path: path.split("."), code: "custom", message }] },
  });
}

export class VersionChannels {
  readonly #options: VersionChannelsOptions;
  readonly #now: () => number;
  readonly #cache = new Map<string, { value: Assignment | null; until: number }>();
  #installed: { until: number; versions: Map<string, string[]> } | null = null;
  /** Assignments already logged as unable to roll back (once each). */
  readonly #stuck = new Set<string>();

  constructor(options: VersionChannelsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The version `tenant`'s call of `pkg` runs, from `requested` (a version, a channel or nothing). */
  async resolve(tenant: string, pkg: string, requested: string | undefined): Promise<ServedVersion> {
    if (requested !== undefined && !CHANNEL_PATTERN.test(requested)) return { pkg, version: requested, channel: null, assignment: null };
    const channel = requested ?? LATEST;
    const assignment = await this.#current(pkg, channel);
    if (assignment !== null) return { pkg, version: assignVersion(tenant, pkg, channel, assignment), channel, assignment };
    const installed = await this.#versionsOf(pkg);
    if (installed.length === 0) throw new RuntimeError("PackageNotFound", `package ${pkg} is not installed`);
    if (channel === LATEST) return { pkg, version: highest(installed), channel, assignment: null };
    const known = [LATEST, ...(await this.#options.store.list(pkg)).map((s) => s.channel)];
    throw new RuntimeError("InvalidRequest", `invalid request: package ${pkg} has no channel ${JSON.stringify(channel)} (it has: ${[...new Set(known)].join(", ")})`, {
      data: { issues: [{ path: ["version"], code: "unknown_channel", message: `no channel ${JSON.stringify(channel)}` }] },
    });
  }

  /** Counts a finished call for its assignment's automatic rollback, and rolls back when the error rate says so. */
  async observe(served: ServedVersion, failed: boolean): Promise<void> {
    const { assignment, channel, pkg: pkgOf } = served;
    const rule = assignment?.auto_rollback;
    if (assignment === null || channel === null || rule === null || rule === undefined || !assignment.watch.includes(served.version)) return;
    const { store, logger } = this.#options;
    const { calls, errors } = await store.recordOutcome(pkgOf, channel, assignment.id, rule.window_ms, failed, this.#now());
    if (calls < rule.min_calls || errors / calls <= rule.max_error_rate) return;
    const result = await store.rollback(pkgOf, channel, { expectedId: assignment.id, mayUnset: channel === LATEST });
    const figures = { pkg: pkgOf, channel, version: served.version, calls, errors, error_rate: errors / calls, max_error_rate: rule.max_error_rate, window: rule.window };
    if (result.kind === "rolled" || result.kind === "unset") {
      this.#forget(pkgOf, channel);
      const to = result.kind === "rolled" ? result.current.versions : "the highest installed version";
      logger.warn({ ...figures, to }, `channel ${pkgOf}/${channel} rolled back automatically: ${errors} of ${calls} calls to ${served.version} failed within ${rule.window}`);
    } else if (result.kind === "first" && !this.#stuck.has(assignment.id)) {
      this.#stuck.add(assignment.id);
      logger.warn(figures, `channel ${pkgOf}/${channel} is over its error rate but has no earlier assignment to roll back to`);
    }
  }

  async set(input: SetChannelInput): Promise<ChannelView> {
    const { pkg, channel } = input;
    const installed = await this.#versionsOf(pkg, true);
    if (installed.length === 0) throw new RuntimeError("PackageNotFound", `package ${pkg} is not installed`);
    input.versions.forEach((v, i) => {
      if (!installed.includes(v.version)) throw invalid(`versions.${i}.version`, `${pkg}@${v.version} is not installed (installed: ${installed.join(", ")})`);
    });
    for (const [tenant, version] of Object.entries(input.pins)) {
      if (!installed.includes(version)) throw invalid(`pins.${tenant}`, `${pkg}@${version} is not installed (installed: ${installed.join(", ")})`);
    }
    const before = await this.#options.store.current(pkg, channel);
    const old = new Set(before === null ? (channel === LATEST ? [highest(installed)] : []) : before.versions.filter((v) => v.weight > 0).map((v) => v.version));
    const ar = input.auto_rollback;
    const assignment = newAssignment(
      {
        versions: input.versions,
        pins: input.pins,
        auto_rollback: ar === undefined ? null : { max_error_rate: ar.max_error_rate, window: ar.window.text, window_ms: ar.window.ms, min_calls: ar.min_calls },
        watch: input.versions.filter((v) => v.weight > 0 && !old.has(v.version)).map((v) => v.version).concat(Object.values(input.pins).filter((v) => !old.has(v))),
      },
      this.#now(),
    );
    await this.#options.store.set(pkg, channel, assignment);
    this.#forget(pkg, channel);
    return (await this.list(pkg)).find((v) => v.channel === channel) ?? viewOf(channel, assignment, before);
  }

  async rollback(pkg: string, channel: string): Promise<ChannelView> {
    if ((await this.#versionsOf(pkg, true)).length === 0) throw new RuntimeError("PackageNotFound", `package ${pkg} is not installed`);
    const result = await this.#options.store.rollback(pkg, channel, { mayUnset: channel === LATEST });
    this.#forget(pkg, channel);
    if (result.kind === "none") throw invalid("channel", `package ${pkg} has no channel ${JSON.stringify(channel)} set`);
    if (result.kind === "first") throw invalid("channel", `channel ${JSON.stringify(channel)} of ${pkg} has no earlier assignment to return to`);
    const views = await this.list(pkg);
    const view = views.find((v) => v.channel === channel);
    if (view === undefined) throw new RuntimeError("Internal", `channel ${channel} vanished during its rollback`);
    return view;
  }

  /** Every channel of the package; `latest` is always there, implicit when unset. */
  async list(pkg: string): Promise<ChannelView[]> {
    const installed = await this.#versionsOf(pkg, true);
    if (installed.length === 0) throw new RuntimeError("PackageNotFound", `package ${pkg} is not installed`);
    const views = (await this.#options.store.list(pkg)).map((s) => viewOf(s.channel, s.current, s.previous));
    if (!views.some((v) => v.channel === LATEST)) {
      views.unshift({ channel: LATEST, versions: [{ version: highest(installed), weight: 100 }], pins: {}, auto_rollback: null, set_at: null, implicit: true, previous: null });
    }
    return views;
  }

  async #current(pkg: string, channel: string): Promise<Assignment | null> {
    const key = `${pkg}\n${channel}`;
    const now = this.#now();
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.until > now) return cached.value;
    const value = await this.#options.store.current(pkg, channel);
    this.#cache.set(key, { value, until: now + CACHE_MS });
    if (this.#cache.size > 10_000) this.#cache.clear();
    return value;
  }

  #forget(pkg: string, channel: string): void {
    this.#cache.delete(`${pkg}\n${channel}`);
  }

  async #versionsOf(pkg: string, fresh = false): Promise<string[]> {
    const now = this.#now();
    if (fresh || this.#installed === null || this.#installed.until <= now) {
      const versions = new Map<string, string[]>();
      for (const meta of await this.#options.packages.list()) versions.set(meta.name, [...(versions.get(meta.name) ?? []), meta.version]);
      this.#installed = { until: now + CACHE_MS, versions };
    }
    return this.#installed.versions.get(pkg) ?? [];
  }
}

function highest(versions: readonly string[]): string {
  const valid = versions.filter((v) => semver.valid(v) !== null);
  return semver.maxSatisfying(valid, "*") ?? semver.rsort([...valid])[0] ?? versions[0] ?? "";
}

function viewOf(channel: string, current: Assignment, previous: Assignment | null): ChannelView {
  const ar = current.auto_rollback;
  return {
    channel,
    versions: current.versions,
    pins: current.pins,
    auto_rollback: ar === null ? null : { max_error_rate: ar.max_error_rate, window: ar.window, min_calls: ar.min_calls },
    set_at: current.set_at,
    implicit: false,
    previous: previous === null ? null : { versions: previous.versions, pins: previous.pins, set_at: previous.set_at },
  };
}
