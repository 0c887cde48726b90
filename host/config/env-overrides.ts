// Environment overrides: `HIAGENT_<SECTION>__<KEY>=value` sets `section.key`.
// `__` separates levels (HIAGENT_SANDBOX__FETCH__TIMEOUT_MS → sandbox.fetch.timeout_ms),
// a single `_` stays part of a key (HIAGENT_LOG_LEVEL → log_level), names are
// lower-cased, and each value is read as YAML ("9000" → 9000, "true" → true,
// "[a, b]" → a list; quote to force a string: '"0123"'). Nothing else is read.
import { parse as parseYaml } from "yaml";

export const ENV_PREFIX = "HIAGENT_";

export type RawObject = Record<string, unknown>;

export interface EnvOverride {
  /** The key path it sets, e.g. ["server", "port"]. */
  path: string[];
  /** The variable's name, so errors can say where a bad value came from. */
  variable: string;
  value: unknown;
}

export function isRawObject(value: unknown): value is RawObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads the overrides from an environment; throws on a name with an empty level. */
export function readEnvOverrides(env: Readonly<Record<string, string | undefined>>): EnvOverride[] {
  const overrides: EnvOverride[] = [];
  for (const [variable, text] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || text === undefined) continue;
    const path = variable.slice(ENV_PREFIX.length).toLowerCase().split("__");
    if (path.some((key) => key.length === 0)) {
      throw new Error(`${variable}: an empty key level (use __ only between keys)`);
    }
    overrides.push({ path, variable, value: parseEnvValue(variable, text) });
  }
  // Shallow paths first, so HIAGENT_SERVER={...} never clobbers HIAGENT_SERVER__PORT.
  return overrides.sort((a, b) => a.path.length - b.path.length);
}

function parseEnvValue(variable: string, text: string): unknown {
  if (text.trim() === "") return "";
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);
    throw new Error(`${variable}: not a YAML value (${reason})`);
  }
}

/** Sets each override into `raw` (a fresh copy where needed), creating sections on the way. */
export function applyEnvOverrides(raw: RawObject, overrides: readonly EnvOverride[]): RawObject {
  const root: RawObject = { ...raw };
  for (const { path, value } of overrides) {
    let node = root;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      const copy: RawObject = isRawObject(next) ? { ...next } : {};
      node[key] = copy;
      node = copy;
    }
    node[path[path.length - 1] as string] = value;
  }
  return root;
}
