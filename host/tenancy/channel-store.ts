// Where channel assignments live: in memory on a single node, in Redis when the
// deployment shares one. Each channel is a stack of assignments, current first; the
// store also counts calls and errors per assignment for automatic rollback. One
// conformance suite holds both to the same rules.
import type { Assignment } from "./channel-model.ts";

export const KEPT_ASSIGNMENTS = 20;

export type RollbackResult =
  | { kind: "rolled"; current: Assignment }
  /** `latest` with one assignment: unset, so it follows the highest installed version again. */
  | { kind: "unset" }
  /** Nothing set on the channel. */
  | { kind: "none" }
  /** Only one assignment, and the channel may not be unset. */
  | { kind: "first" }
  /** The current assignment is no longer the expected one (someone else moved it). */
  | { kind: "stale" };

export interface ChannelState {
  channel: string;
  current: Assignment;
  previous: Assignment | null;
}

export interface ChannelStore {
  current(pkg: string, channel: string): Promise<Assignment | null>;
  /** Every channel set on the package, with its previous assignment. */
  list(pkg: string): Promise<ChannelState[]>;
  set(pkg: string, channel: string, assignment: Assignment): Promise<void>;
  /** Back to the previous assignment; with `expectedId`, only if that assignment is current. */
  rollback(pkg: string, channel: string, options: { expectedId?: string; mayUnset: boolean }): Promise<RollbackResult>;
  /** Counts one call of an assignment and answers the calls and errors within `windowMs`. */
  recordOutcome(pkg: string, channel: string, assignmentId: string, windowMs: number, failed: boolean, now: number): Promise<{ calls: number; errors: number }>;
}

/** Parses a stored assignment; null for anything that is not one. */
export function parseAssignment(text: string): Assignment | null {
  try {
    const value = JSON.parse(text) as Assignment;
    return typeof value === "object" && value !== null && typeof value.id === "string" && Array.isArray(value.versions) ? value : null;
  } catch {
    return null;
  }
}
