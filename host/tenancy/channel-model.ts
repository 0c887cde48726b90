// Version channels: a package's named pointers to weighted versions (a gradual
// rollout), with per-tenant pins and an optional automatic rollback. A tenant lands on a
// version by a stable hash of (tenant, package, channel), so it sees one version
// throughout a rollout; as weights move (90/10 → 50/50 → 0/100) with the versions listed
// in the same order, a tenant already on the new version stays on it.
import { createHash, randomUUID } from "node:crypto";

/** Channel names start with a letter, so they never read as a version (which starts with a digit). */
export const CHANNEL_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/** The channel a call without a version uses: the highest installed version unless set. */
export const LATEST = "latest";

export interface WeightedVersion {
  version: string;
  weight: number;
}

export interface AutoRollback {
  max_error_rate: number;
  /** The window as written (`5m`) and in ms. */
  window: string;
  window_ms: number;
  min_calls: number;
}

/** One assignment of a channel; the channel keeps its earlier ones for rollback. */
export interface Assignment {
  id: string;
  versions: WeightedVersion[];
  pins: Record<string, string>;
  auto_rollback: AutoRollback | null;
  /** The versions the error rate is watched on: those new to this assignment. */
  watch: string[];
  set_at: string;
}

export function newAssignment(fields: Omit<Assignment, "id" | "set_at">, now: number): Assignment {
  return { id: randomUUID(), set_at: new Date(now).toISOString(), ...fields };
}

/** Where a tenant falls on a channel: a point in [0, 100), the same on every node for ever. */
export function assignmentPoint(tenant: string, pkg: string, channel: string): number {
  const digest = createHash("sha256").update(`${tenant}\u0000${pkg}\u0000${channel}`).digest();
  return (digest.readUInt32BE(0) / 2 ** 32) * 100;
}

/** The version a tenant is served on a channel: its pin, else its weighted slice. */
export function assignVersion(tenant: string, pkg: string, channel: string, assignment: Pick<Assignment, "versions" | "pins">): string {
  const pinned = Object.hasOwn(assignment.pins, tenant) ? assignment.pins[tenant] : undefined;
  if (pinned !== undefined) return pinned;
  const point = assignmentPoint(tenant, pkg, channel);
  let upTo = 0;
  let last: string | undefined;
  for (const { version, weight } of assignment.versions) {
    if (weight <= 0) continue;
    upTo += weight;
    last = version;
    if (point < upTo) return version;
  }
  // Rounding of weights that sum to 100 leaves at most a sliver past the last one.
  if (last === undefined) throw new Error("a channel assignment has no version with weight");
  return last;
}

/** Whether the weights sum to 100 (within rounding of decimals such as 33.3). */
export function weightsSumTo100(versions: readonly WeightedVersion[]): boolean {
  return Math.abs(versions.reduce((sum, v) => sum + v.weight, 0) - 100) < 1e-6;
}
