// Deployment keys: secrets an operator gives a deployment (the artifact key that
// authenticates built packages, the key that seals stored secrets). One loader for all
// of them: a key comes from a config value, from a key file, or, where the operator
// gave neither and a generated key is acceptable, from a file created on first start
// (mode 0600). A bad key is refused at start with one line naming its config key.
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../config/index.ts";

/** Which key this is, for messages and for checking its length. */
export interface KeySpec {
  /** The config key that sets it inline, e.g. `package.artifact_key`. */
  configKey: string;
  /** The config key that names a file holding it, e.g. `package.artifact_key_file`. */
  fileConfigKey: string;
  /** What it protects, in a few words: "authenticates built package artifacts". */
  purpose: string;
  /** The fewest bytes a key may have (a generated key has exactly this many). */
  minBytes: number;
}

export interface KeySource {
  /** The inline value (hex, or base64). */
  value?: string | undefined;
  /** A file whose content is the key (hex, or base64; surrounding whitespace ignored). */
  file?: string | undefined;
  /** Where to create (or find) a generated key when neither is given; absent = the key is required. */
  generatedFile?: string | undefined;
}

export interface DeploymentKey {
  key: Buffer;
  /** Where it came from, for the start log (never the key itself). */
  origin: "config" | "file" | "generated" | "generated-earlier";
  /** The file read or created, when there is one. */
  file: string | null;
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$|^[A-Za-z0-9_-]+$/;

/** Decodes a key written as hex or base64; throws a ConfigError naming `where`. */
export function parseKey(text: string, spec: KeySpec, where: string): Buffer {
  const trimmed = text.trim();
  if (trimmed === "") throw new ConfigError(`${where} is empty: ${spec.configKey} ${spec.purpose}; give at least ${spec.minBytes} bytes as hex or base64`);
  let key: Buffer | null = null;
  if (HEX.test(trimmed)) key = Buffer.from(trimmed, "hex");
  else if (BASE64.test(trimmed)) key = Buffer.from(trimmed, trimmed.includes("-") || trimmed.includes("_") ? "base64url" : "base64");
  if (key === null) throw new ConfigError(`${where} is not hex or base64`);
  if (key.length < spec.minBytes) {
    throw new ConfigError(`${where} is too short: ${key.length} bytes, ${spec.configKey} needs at least ${spec.minBytes} (e.g. \`openssl rand -hex ${spec.minBytes}\`)`);
  }
  return key;
}

async function readKeyFile(file: string, spec: KeySpec, where: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`${where}: cannot read ${file} (${code ?? String(err)})`);
  }
  const info = await stat(file);
  // A key others on the machine can read is a key that is not secret.
  if ((info.mode & 0o077) !== 0) {
    throw new ConfigError(`${where}: ${file} can be read by other users (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`);
  }
  return parseKey(text, spec, `${where} (${file})`);
}

/** Creates the key file with mode 0600 unless it exists; false when another process (or an earlier start) made it. */
async function createKeyFile(file: string, spec: KeySpec): Promise<boolean> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  let handle;
  try {
    handle = await open(file, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    await handle.writeFile(`${randomBytes(spec.minBytes).toString("hex")}\n`);
  } finally {
    await handle.close();
  }
  return true;
}

/** Loads a deployment key: the inline value, else the key file, else the generated file. */
export async function loadDeploymentKey(spec: KeySpec, source: KeySource): Promise<DeploymentKey> {
  if (source.value !== undefined && source.file !== undefined) {
    throw new ConfigError(`Config error: set ${spec.configKey} or ${spec.fileConfigKey}, not both`);
  }
  if (source.value !== undefined) return { key: parseKey(source.value, spec, `Config error: ${spec.configKey}`), origin: "config", file: null };
  if (source.file !== undefined) {
    return { key: await readKeyFile(source.file, spec, `Config error: ${spec.fileConfigKey}`), origin: "file", file: source.file };
  }
  if (source.generatedFile === undefined) {
    throw new ConfigError(`Config error: ${spec.configKey} or ${spec.fileConfigKey} is required (it ${spec.purpose})`);
  }
  const created = await createKeyFile(source.generatedFile, spec);
  const key = await readKeyFile(source.generatedFile, spec, `the generated key for ${spec.configKey}`);
  return { key, origin: created ? "generated" : "generated-earlier", file: source.generatedFile };
}
