// Loads the config once at start: the YAML file (path from `CONFIG`, else ./config.yaml
// if present, else the defaults), then HIAGENT_* environment overrides, then HiAgent
// aliases, then the strict schema. Relative paths resolve against the given cwd.
// The caller passes the environment in: this module never reads process.env.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { ConfigError } from "./config-error.ts";
import { ConfigSchema, type Config } from "./config-schema.ts";
import { applyEnvOverrides, isRawObject, readEnvOverrides, type EnvOverride, type RawObject } from "./env-overrides.ts";
import { normalizeHiAgentConfig } from "./hiagent-aliases.ts";

export interface LoadConfigOptions {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export interface LoadedConfig {
  config: Config;
  /** Things the operator should know (ignored HiAgent keys…), to log once a logger exists. */
  warnings: string[];
  /** The file read, or null when running on the embedded defaults. */
  file: string | null;
}

export function loadConfig({ env, cwd }: LoadConfigOptions): LoadedConfig {
  const file = configFile(env.CONFIG, cwd);
  const where = file === null ? "Config error" : `Config error in ${path.relative(cwd, file) || file}`;
  const raw = file === null ? {} : readYamlFile(file, where);

  let overrides: EnvOverride[];
  try {
    overrides = readEnvOverrides(env);
  } catch (err) {
    throw new ConfigError(`Config error in the environment: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { raw: normalized, warnings, renamed } = normalizeHiAgentConfig(applyEnvOverrides(raw, overrides));

  const parsed = ConfigSchema.safeParse(normalized);
  if (!parsed.success) {
    const fromEnv = new Map(overrides.map((o) => [o.path.join("."), o.variable] as const));
    throw new ConfigError(`${where}: ${formatIssues(parsed.error.issues, renamed, fromEnv)}`);
  }
  return { config: resolvePaths(parsed.data, cwd), warnings, file };
}

function configFile(explicit: string | undefined, cwd: string): string | null {
  if (explicit !== undefined && explicit !== "") {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file)) throw new ConfigError(`Config file not found: ${explicit} (from CONFIG)`);
    return file;
  }
  const fallback = path.resolve(cwd, "config.yaml");
  return existsSync(fallback) ? fallback : null;
}

function readYamlFile(file: string, where: string): RawObject {
  let value: unknown;
  try {
    value = parseYaml(readFileSync(file, "utf8"));
  } catch (err) {
    const first = (err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err)).replace(/:\s*$/, "");
    throw new ConfigError(`${where}: ${first}`);
  }
  if (value === null || value === undefined) return {};
  if (!isRawObject(value)) throw new ConfigError(`${where}: the top level must be a mapping of keys`);
  return value;
}

/** All issues on one line: `server.port (from HIAGENT_SERVER__PORT): expected number, received string`. */
function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  renamed: ReadonlyMap<string, string>,
  fromEnv: ReadonlyMap<string, string>,
): string {
  const parts: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) parts.push(`${describeKey([...issue.path, key], renamed, fromEnv)}: unknown key`);
      continue;
    }
    const what = issue.message
      .replace(/^Invalid input: /, "")
      .replace(/^expected (.+), received undefined$/, "missing (expected $1)");
    parts.push(`${describeKey(issue.path, renamed, fromEnv)}: ${what}`);
  }
  return parts.join("; ");
}

/** Names a key as the user wrote it: its HiAgent spelling, and the variable that set it. */
function describeKey(
  keyPath: readonly PropertyKey[],
  renamed: ReadonlyMap<string, string>,
  fromEnv: ReadonlyMap<string, string>,
): string {
  const written = rewritePrefix(keyPath.map(String).join("."), renamed);
  if (written === "") return "(top level)";
  const variable = longestPrefixValue(written, fromEnv);
  return variable === undefined ? written : `${written} (from ${variable})`;
}

function rewritePrefix(dotted: string, renamed: ReadonlyMap<string, string>): string {
  const parts = dotted.split(".");
  for (let n = parts.length; n > 0; n--) {
    const prefix = parts.slice(0, n).join(".");
    const original = renamed.get(prefix);
    if (original !== undefined) return original + dotted.slice(prefix.length);
  }
  return dotted;
}

function longestPrefixValue(dotted: string, map: ReadonlyMap<string, string>): string | undefined {
  const parts = dotted.split(".");
  for (let n = parts.length; n > 0; n--) {
    const value = map.get(parts.slice(0, n).join("."));
    if (value !== undefined) return value;
  }
  return undefined;
}

function resolvePaths(config: Config, cwd: string): Config {
  const storage =
    config.storage.backend === "local_path"
      ? { ...config.storage, local_path: { base_dir: path.resolve(cwd, config.storage.local_path.base_dir) } }
      : config.storage;
  return {
    ...config,
    extensions_dir: path.resolve(cwd, config.extensions_dir),
    storage,
    package: {
      ...config.package,
      file_roots: config.package.file_roots.map((root) => path.resolve(cwd, root)),
      ...(config.package.artifact_key_file === undefined ? {} : { artifact_key_file: path.resolve(cwd, config.package.artifact_key_file) }),
      generated_key_file: path.resolve(cwd, config.package.generated_key_file),
    },
    secrets: {
      ...config.secrets,
      ...(config.secrets.key_file === undefined ? {} : { key_file: path.resolve(cwd, config.secrets.key_file) }),
      generated_key_file: path.resolve(cwd, config.secrets.generated_key_file),
    },
    plugin_configs: { file_path: path.resolve(cwd, config.plugin_configs.file_path) },
  };
}
