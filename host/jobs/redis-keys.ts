// Every Redis key and channel of a deployment, in one place, under its prefix.
// With a hash-tagged prefix (`{hiagent}`) they all share one cluster slot, which the
// Lua scripts here and bee-queue's need.

/** bee-queue's queue name; its keys are `{prefix}:bq:install:*`. */
export const INSTALL_QUEUE = "install";

export type RedisChannel = "job-ended" | "cancel" | "packages";

export class RedisKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** Our record of one install job: a hash (status, progress, stage, reason, data, …). */
  job(id: string): string {
    return `${this.prefix}:job:${id}`;
  }

  /** The prefix `job(id)` puts before an id (scripts that prune build keys from ids). */
  get jobPrefix(): string {
    return `${this.prefix}:job:`;
  }

  /** Ended jobs by end time (a sorted set), for keep_finished_seconds / keep_finished_max. */
  get endedJobs(): string {
    return `${this.prefix}:jobs:ended`;
  }

  /** Every job by creation time (a sorted set, trimmed to the newest), for the job list. */
  get recentJobs(): string {
    return `${this.prefix}:jobs:recent`;
  }

  /** Jobs queued but not yet handed to bee-queue, by when (a sorted set); see RedisJobSubmitter. */
  get pendingJobs(): string {
    return `${this.prefix}:jobs:pending`;
  }

  /** Live processes by last heartbeat (a sorted set of `worker:…` / `api:…` ids). */
  get nodes(): string {
    return `${this.prefix}:nodes`;
  }

  /** Fencing counters, one field per name@version (a hash). */
  get fences(): string {
    return `${this.prefix}:fences`;
  }

  /** The lock of name@version: `{owner}|{fencing token}`, with a TTL. */
  lock(name: string, version: string): string {
    return `${this.prefix}:lock:${name}@${version}`;
  }

  /** One tenant's stored plugin configs: a hash, one field per `["pkg","plugin"]`. */
  pluginConfigs(tenant: string): string {
    return `${this.prefix}:plugin-configs:${tenant}`;
  }

  /** bee-queue's own prefix setting. */
  get beeQueue(): string {
    return `${this.prefix}:bq`;
  }

  beeQueueKey(suffix: "waiting" | "active" | "jobs" | "stalling"): string {
    return `${this.beeQueue}:${INSTALL_QUEUE}:${suffix}`;
  }

  /** One quota counter of a tenant: a hash {s: window start, v: value}. */
  quota(tenant: string, counter: string, windowMs: number): string {
    return `${this.prefix}:quota:${tenant}:${counter}:${windowMs}`;
  }

  /** A tenant's running calls (a sorted set of call ids by lease expiry), for `concurrent`. */
  quotaLeases(tenant: string): string {
    return `${this.prefix}:quota:${tenant}:leases`;
  }

  /** A tenant's usage in one time slot of `resolutionMs` (a hash of counters per package and tool). */
  usage(tenant: string, resolutionMs: number, slotStart: number): string {
    return `${this.prefix}:usage:${tenant}:${resolutionMs}:${slotStart}`;
  }

  /** A package's version channel: a list of assignments, newest (current) first. */
  versionChannel(pkg: string, channel: string): string {
    return `${this.prefix}:vchannel:${pkg}:${channel}`;
  }

  /** The names of a package's version channels (a set). */
  versionChannels(pkg: string): string {
    return `${this.prefix}:vchannels:${pkg}`;
  }

  /** Calls and errors of one channel assignment over its error-rate window (a hash). */
  channelHealth(pkg: string, channel: string, assignmentId: string): string {
    return `${this.prefix}:vchannel-health:${pkg}:${channel}:${assignmentId}`;
  }

  channel(name: RedisChannel): string {
    return `${this.prefix}:events:${name}`;
  }
}
