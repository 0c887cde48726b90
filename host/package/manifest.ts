// The package manifest (`package.json` at the package root, SPEC §2): its schema, and
// which module is the entry. It is an npm manifest, so keys we do not know are kept;
// keys we do know must have the right type, and the `hiagent` section is ours alone.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import semver from "semver";
import { z } from "zod";
import { parseOriginPattern } from "../../sandbox/bridge/origin-policy.ts";
import { RuntimeError } from "../../sandbox/errors.ts";

export const PACKAGE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const ENTRY_EXTENSIONS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"];
const DEFAULT_ENTRIES = ["src/index.ts", "index.js"];

const NonEmptyPath = z.string().min(1).max(1024);

const HiagentSection = z.strictObject({
  entry: NonEmptyPath.optional(),
  permissions: z
    .strictObject({
      fetch: z
        .array(
          z.string().superRefine((value, ctx) => {
            // One parser for manifests and for the fetch bridge, so what installs is what runs.
            try {
              parseOriginPattern(value, "InvalidPackage");
            } catch (err) {
              ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : String(err) });
            }
          }),
        )
        .max(256)
        .optional(),
    })
    .optional(),
});

const ManifestSchema = z.looseObject({
  name: z.string().regex(PACKAGE_NAME_PATTERN, "must match ^[a-z0-9][a-z0-9._-]{0,127}$ (lower case, no scope)"),
  version: z.string().refine((value) => semver.valid(value) === value, "must be a semver version such as 1.2.3"),
  description: z.string().optional(),
  main: NonEmptyPath.optional(),
  dependencies: z.record(z.string(), z.string()).optional(),
  hiagent: HiagentSection.optional(),
});

export type RawManifest = z.infer<typeof ManifestSchema>;

export interface PackageManifest {
  name: string;
  version: string;
  description: string;
  /** Package-relative path of the module to bundle. */
  entry: string;
  /** Origins from `hiagent.permissions.fetch`; empty means no network. */
  fetchOrigins: string[];
  dependencies: Record<string, string>;
  /** The manifest as written, unknown keys included (copied into the installed folder). */
  raw: RawManifest;
}

function issuePath(issuePathParts: readonly PropertyKey[]): string {
  let out = "";
  for (const part of issuePathParts) {
    out += typeof part === "number" ? `[${part}]` : `${out ? "." : ""}${String(part)}`;
  }
  return out || "(root)";
}

/** Parses and validates the manifest text; entry existence is checked by `readManifest`. */
export function parseManifest(text: string): RawManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RuntimeError("InvalidPackage", `package.json is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const result = ManifestSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message }));
    const first = issues[0];
    const summary = first ? `${first.path}: ${first.message}` : "invalid";
    throw new RuntimeError("InvalidPackage", `package.json ${summary}`, { data: { issues } });
  }
  return result.data;
}

/** Normalises a manifest path to package-relative form, refusing anything that leaves the package. */
function packagePath(value: string, key: string): string {
  const normalized = path.posix.normalize(value.replace(/^\.\//, ""));
  if (value.includes("\\") || path.posix.isAbsolute(normalized) || normalized === ".." || normalized.startsWith("../")) {
    throw new RuntimeError("InvalidPackage", `package.json ${key}: ${JSON.stringify(value)} is not a path inside the package`);
  }
  return normalized;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The entry: `hiagent.entry`, else `main`, else the first of src/index.ts, index.js that exists. */
export async function resolveEntry(raw: RawManifest, packageDir: string): Promise<string> {
  const declared = raw.hiagent?.entry !== undefined ? { key: "hiagent.entry", value: raw.hiagent.entry }
    : raw.main !== undefined ? { key: "main", value: raw.main }
    : null;
  if (declared) {
    const entry = packagePath(declared.value, declared.key);
    if (!ENTRY_EXTENSIONS.includes(path.posix.extname(entry))) {
      throw new RuntimeError("InvalidPackage", `package.json ${declared.key}: entry ${entry} must be a .ts or .js module`);
    }
    if (!(await isFile(path.join(packageDir, entry)))) {
      throw new RuntimeError("InvalidPackage", `package.json ${declared.key}: entry ${entry} is not in the package`);
    }
    return entry;
  }
  for (const candidate of DEFAULT_ENTRIES) {
    if (await isFile(path.join(packageDir, candidate))) return candidate;
  }
  throw new RuntimeError("InvalidPackage", `package has no entry: set hiagent.entry or main, or add ${DEFAULT_ENTRIES.join(" or ")}`);
}

/** Reads, validates and resolves the manifest of the package unpacked at `packageDir`. */
export async function readManifest(packageDir: string): Promise<PackageManifest> {
  let text: string;
  try {
    text = await readFile(path.join(packageDir, "package.json"), "utf8");
  } catch {
    throw new RuntimeError("InvalidPackage", "package.json is missing at the package root");
  }
  const raw = parseManifest(text);
  return {
    name: raw.name,
    version: raw.version,
    description: raw.description ?? "",
    entry: await resolveEntry(raw, packageDir),
    fetchOrigins: raw.hiagent?.permissions?.fetch ?? [],
    dependencies: raw.dependencies ?? {},
    raw,
  };
}
