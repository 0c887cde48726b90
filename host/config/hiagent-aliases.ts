// Reads a HiAgent config as ours (SPEC §7), before the strict schema sees it:
// `log_level` in any case, `max_subprocess`, `storage.backend: minio | boto3` with
// HiAgent's s3 key names, and a Python `index_url` (ignored with a warning).
import { isRawObject, type RawObject } from "./env-overrides.ts";

export interface Normalized {
  raw: RawObject;
  warnings: string[];
  /** Our key path → the HiAgent key it was read from, so errors name what the user wrote. */
  renamed: Map<string, string>;
}

const PYTHON_LOG_LEVELS: Record<string, string> = { warning: "warn", critical: "fatal" };

/** HiAgent's s3 key → ours. */
const S3_KEYS: Record<string, string> = {
  ak: "access_key_id",
  sk: "secret_access_key",
  path_style: "force_path_style",
  ssl_verify: "verify_tls",
};

const S3_BACKEND_ALIASES = new Set(["minio", "boto3"]);

export function normalizeHiAgentConfig(input: RawObject): Normalized {
  const warnings: string[] = [];
  const renamed = new Map<string, string>();
  const raw = withoutNulls(input);

  if (typeof raw.log_level === "string") {
    const level = raw.log_level.toLowerCase();
    raw.log_level = PYTHON_LOG_LEVELS[level] ?? level;
  }

  if (raw.max_subprocess !== undefined) {
    const sandbox: RawObject = isRawObject(raw.sandbox) ? { ...raw.sandbox } : {};
    if (sandbox.max_isolates === undefined) {
      sandbox.max_isolates = raw.max_subprocess;
      renamed.set("sandbox.max_isolates", "max_subprocess");
    } else warnings.push("max_subprocess is ignored: sandbox.max_isolates is set");
    raw.sandbox = sandbox;
    delete raw.max_subprocess;
  }

  if (isRawObject(raw.storage)) raw.storage = normalizeStorage(raw.storage, renamed);

  if (isRawObject(raw.package) && typeof raw.package.index_url === "string") {
    const indexUrl = raw.package.index_url;
    if (!looksLikeNpmRegistry(indexUrl)) {
      const pkg = { ...raw.package };
      delete pkg.index_url;
      raw.package = pkg;
      warnings.push(`package.index_url ${indexUrl} is not an npm registry; ignored (dependencies must be vendored)`);
    }
  }
  return { raw, warnings, renamed };
}

function normalizeStorage(input: RawObject, renamed: Map<string, string>): RawObject {
  const storage = { ...input };
  let section = "storage.s3";
  const backend = typeof storage.backend === "string" ? storage.backend.toLowerCase() : storage.backend;
  if (typeof backend === "string" && S3_BACKEND_ALIASES.has(backend)) {
    storage.backend = "s3";
    // HiAgent may name the section after its backend.
    if (storage.s3 === undefined && storage[backend] !== undefined) {
      storage.s3 = storage[backend];
      section = `storage.${backend}`;
      renamed.set("storage.s3", section);
    }
  }
  // Like any section the backend does not select, HiAgent's named sections are ignored.
  for (const alias of S3_BACKEND_ALIASES) delete storage[alias];
  if (isRawObject(storage.s3)) {
    const s3: RawObject = {};
    for (const [key, value] of Object.entries(storage.s3)) {
      const ours = S3_KEYS[key] ?? key;
      // Our own key wins when both spellings are present.
      if (ours !== key && storage.s3[ours] !== undefined) continue;
      s3[ours] = value;
      if (ours !== key || section !== "storage.s3") renamed.set(`storage.s3.${ours}`, `${section}.${key}`);
    }
    storage.s3 = s3;
  }
  return storage;
}

/** PyPI-style indexes (`…/simple`, pypi.org, a `/pypi/` proxy path) are not npm registries. */
export function looksLikeNpmRegistry(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return true; // not ours to judge: the schema reports a malformed URL
  }
  const host = parsed.hostname.toLowerCase();
  if (host === "pypi.org" || host.endsWith(".pypi.org") || host === "files.pythonhosted.org") return false;
  return !/\/(simple|pypi)(\/|$)/i.test(parsed.pathname);
}

/** YAML's empty value (`redis:` with everything commented out) means "not set". */
function withoutNulls(input: RawObject): RawObject {
  const out: RawObject = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === null) continue;
    out[key] = isRawObject(value) ? withoutNulls(value) : value;
  }
  return out;
}
