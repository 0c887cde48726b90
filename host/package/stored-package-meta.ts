// The PackageMeta of a version in package storage. Storage keeps meta.json as loose
// JSON (it knows nothing of plugins); the fields the API relies on are checked here.
import type { VersionMarker } from "../storage/index.ts";
import type { PackageMeta } from "./package-meta.ts";

export function metaOfMarker(marker: VersionMarker): PackageMeta | null {
  const meta = marker.meta;
  if (meta.name !== marker.name || meta.version !== marker.version) return null;
  if (typeof meta.uri !== "string" || typeof meta.filename !== "string") return null;
  if (!meta.plugins.every((plugin) => typeof plugin === "object" && plugin !== null && typeof (plugin as { name?: unknown }).name === "string")) return null;
  // Written by the package builder from a PackageMeta; the checks above guard the shape the API reads.
  return meta as unknown as PackageMeta;
}
