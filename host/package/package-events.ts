// Package changes that every node of a deployment must hear about: a version deleted
// (drop the local copy, the cached metadata and the warm isolates) or published again
// (the local copy may be an older revision). Carried by Redis pub/sub in a deployment.
import { z } from "zod";

export const PackageEventSchema = z.object({
  type: z.enum(["deleted", "published"]),
  name: z.string(),
  version: z.string(),
  revision: z.string().optional(),
  /** The node that sent it. */
  origin: z.string(),
});
export type PackageEvent = z.infer<typeof PackageEventSchema>;

export interface PackageEventHandlers {
  onEvent(event: PackageEvent): void;
  /** Events may have been missed (the connection was down): forget what they could have changed. */
  onResync(): void;
}

export interface PackageEvents {
  send(event: Omit<PackageEvent, "origin">): Promise<void>;
  /** Resolves once subscribed. */
  listen(handlers: PackageEventHandlers): Promise<void>;
  close(): Promise<void>;
}
