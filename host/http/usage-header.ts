// The resource receipt of one sandbox call (CPU, wall time, heap peak, WebAssembly
// memory, fetches, and the version that served it, with its channel) as the
// `X-Plugin-Usage` response header and the access log's `usage` / `version` fields. A
// failed call has a receipt too: the sandbox attaches it to the error it rejects with.
import type { CallUsage } from "../../sandbox/sandbox-api.ts";
import type { ServedLabel } from "../tools/index.ts";
import type { ApiContext } from "./operation.ts";

export const USAGE_HEADER = "X-Plugin-Usage";

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** `cpu_ms=1.234; wall_ms=3.4; heap_peak_bytes=…; wasm_memory_bytes=0; fetch_count=0; fetch_bytes=0; version=1.2.0; channel=stable` */
export function formatUsage(usage: CallUsage, served?: ServedLabel): string {
  const receipt =
    `cpu_ms=${round(usage.cpu_ms)}; wall_ms=${round(usage.wall_ms)}; heap_peak_bytes=${usage.heap_peak_bytes}; wasm_memory_bytes=${usage.wasm_memory_bytes}; ` +
    `fetch_count=${usage.fetch_count}; fetch_bytes=${usage.fetch_bytes}`;
  if (served === undefined) return receipt;
  // Versions are semver and channels [a-z0-9_-]: nothing here needs quoting in a header.
  return receipt + `; version=${served.version}` + (served.channel === null ? "" : `; channel=${served.channel}`);
}

function isUsage(value: unknown): value is CallUsage {
  if (typeof value !== "object" || value === null) return false;
  const u = value as Record<string, unknown>;
  return ["cpu_ms", "wall_ms", "heap_peak_bytes", "wasm_memory_bytes", "fetch_count", "fetch_bytes"].every((k) => typeof u[k] === "number");
}

/** The receipt the sandbox attached to a failed call, if any. */
export function usageOfError(err: unknown): CallUsage | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const usage: unknown = (err as { usage?: unknown }).usage;
  return isUsage(usage) ? usage : undefined;
}

/** Puts the receipt on the response and in the request's access log line. */
export function recordUsage(c: ApiContext, usage: CallUsage | undefined, served?: ServedLabel): void {
  if (served !== undefined) recordServed(c, served);
  if (usage === undefined) return;
  c.set("usage", usage);
  c.header(USAGE_HEADER, formatUsage(usage, served));
}

/** Names the version that served the call in the access log line. */
export function recordServed(c: ApiContext, served: ServedLabel): void {
  c.set("served", served);
}
