// Which version served a call, carried on a failure so a transport can report it (the
// receipt header, the access log) whatever the outcome.
import type { ServedVersion } from "../tenancy/index.ts";

export interface ServedLabel {
  version: string;
  channel: string | null;
}

export function attachServed(err: unknown, served: ServedVersion): unknown {
  if (typeof err === "object" && err !== null && !Object.hasOwn(err, "served")) {
    Object.defineProperty(err, "served", { value: { version: served.version, channel: served.channel } satisfies ServedLabel, enumerable: false });
  }
  return err;
}

export function servedOfError(err: unknown): ServedLabel | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const served: unknown = (err as { served?: unknown }).served;
  return typeof served === "object" && served !== null && typeof (served as ServedLabel).version === "string" ? (served as ServedLabel) : undefined;
}
