// The artifact record of a package version (`artifacts.json`): the SHA-256 of every
// file the build produced (bundle, source map, code cache, manifest, meta, icons),
// authenticated with the deployment's artifact key (HMAC-SHA256). It is written once,
// by the build, and travels with the files into `extensions/` and package storage. A
// node trusts a version only when the record's MAC checks out under its own key and
// each file hashes to its entry: whoever can write to the bucket or the folder, but
// does not hold the key, cannot make a node run code it did not build (CVE-2022-39266:
// a V8 code cache is code).
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { RuntimeError } from "../../sandbox/errors.ts";
import { INSTALLED_FILES, type ArtifactDigests } from "../../sandbox/sandbox-api.ts";

const SHA256_HEX = /^[0-9a-f]{64}$/;

export const ArtifactRecordSchema = z
  .object({
    format: z.literal(1),
    name: z.string(),
    version: z.string(),
    files: z.record(z.string(), z.string().regex(SHA256_HEX)),
    mac: z.string().regex(SHA256_HEX),
  })
  .strict();
export type ArtifactRecord = z.infer<typeof ArtifactRecordSchema>;

/** Files a record must name: without them a version cannot run. */
const REQUIRED = [INSTALLED_FILES.bundle, INSTALLED_FILES.manifest, INSTALLED_FILES.meta] as const;
/**
 * Files a node can do without: the sandbox throws away one that does not match (a code
 * cache is then made again from the verified bundle; errors go unmapped), so they never
 * make a version broken.
 */
const DISPENSABLE = new Set<string>([INSTALLED_FILES.codeCache, INSTALLED_FILES.sourceMap]);
/** Beside the artifacts, never part of them (the record itself, a storage copy's revision note). */
const NOT_ARTIFACTS = new Set<string>([INSTALLED_FILES.record, ".revision"]);

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function macOf(key: Buffer, body: Omit<ArtifactRecord, "mac">): string {
  const files = Object.keys(body.files)
    .sort()
    .map((file) => [file, body.files[file]]);
  // A domain tag, so a MAC made for another purpose with the same key never passes as this one.
  const text = JSON.stringify(["hiagent-artifact-record", body.format, body.name, body.version, files]);
  return createHmac("sha256", key).update(text).digest("hex");
}

async function artifactFiles(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) found.push(...(await artifactFiles(dir, relative)));
    else if (entry.isFile() && !NOT_ARTIFACTS.has(relative)) found.push(relative);
  }
  return found;
}

/** The SHA-256 of every artifact in a folder, by relative path. */
export async function hashArtifacts(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const file of (await artifactFiles(dir)).sort()) files[file] = sha256(await readFile(path.join(dir, ...file.split("/"))));
  return files;
}

/** Hashes every file of a finished build folder and writes its signed record beside them. */
export async function writeArtifactRecord(dir: string, name: string, version: string, key: Buffer): Promise<ArtifactRecord> {
  const files = await hashArtifacts(dir);
  const body = { format: 1 as const, name, version, files };
  const record: ArtifactRecord = { ...body, mac: macOf(key, body) };
  await writeFile(path.join(dir, INSTALLED_FILES.record), JSON.stringify(record));
  return record;
}

function failed(name: string, version: string, why: string): RuntimeError {
  return new RuntimeError("InvalidPackage", `package ${name}@${version} failed artifact verification: ${why}; reinstall it`, {
    data: { verification: "failed" },
  });
}

/** Whether an error is a verification refusal (as opposed to a missing package or an I/O failure). */
export function isVerificationFailure(err: unknown): err is RuntimeError {
  return err instanceof RuntimeError && (err.data as { verification?: unknown } | undefined)?.verification === "failed";
}

/**
 * Checks a record's shape and MAC under `key`, and that it is the record of
 * name@version; returns its digests. Throws an `InvalidPackage` verification failure.
 */
export function checkRecord(raw: unknown, name: string, version: string, key: Buffer): ArtifactDigests {
  const parsed = ArtifactRecordSchema.safeParse(raw);
  if (!parsed.success) throw failed(name, version, `its ${INSTALLED_FILES.record} is malformed`);
  const record = parsed.data;
  const expected = Buffer.from(macOf(key, record), "hex");
  if (!timingSafeEqual(expected, Buffer.from(record.mac, "hex"))) {
    throw failed(name, version, `its ${INSTALLED_FILES.record} is not authenticated by this deployment's artifact key (altered, or built with another key)`);
  }
  if (record.name !== name || record.version !== version) throw failed(name, version, `its record is the record of ${record.name}@${record.version}`);
  for (const file of REQUIRED) if (!Object.hasOwn(record.files, file)) throw failed(name, version, `its record names no ${file}`);
  return record.files;
}

async function readRecord(dir: string, name: string, version: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path.join(dir, INSTALLED_FILES.record), "utf8");
  } catch {
    throw failed(name, version, `it has no ${INSTALLED_FILES.record} (installed before artifacts were authenticated, or the record was removed)`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw failed(name, version, `its ${INSTALLED_FILES.record} is not JSON`);
  }
}

/** What a file looked like when it was last hashed: a changed file changes one of these. */
function signature(info: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): string {
  return `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}

/**
 * Verifies installed version folders against their records. Hashes are remembered by
 * each file's inode, size and times, so listing many packages does not re-read them;
 * the sandbox hashes the bytes it actually loads regardless.
 */
export class ArtifactVerifier {
  readonly #key: Buffer;
  readonly #hashed = new Map<string, { signature: string; digest: string }>();

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** The verified digests of the folder; throws an `InvalidPackage` verification failure. */
  async verify(dir: string, name: string, version: string): Promise<ArtifactDigests> {
    const digests = checkRecord(await readRecord(dir, name, version), name, version, this.#key);
    for (const [file, digest] of Object.entries(digests)) {
      if (DISPENSABLE.has(file)) continue;
      if ((await this.#digest(path.join(dir, ...file.split("/")))) !== digest) {
        throw failed(name, version, `${file} is missing or does not match its record`);
      }
    }
    return digests;
  }

  /** Forgets remembered hashes under a folder (a version replaced or removed). */
  forget(dir: string): void {
    for (const file of [...this.#hashed.keys()]) if (file.startsWith(dir + path.sep)) this.#hashed.delete(file);
  }

  async #digest(file: string): Promise<string | null> {
    const info = await stat(file).catch(() => null);
    if (info === null || !info.isFile()) return null;
    const sig = signature(info);
    const known = this.#hashed.get(file);
    if (known?.signature === sig) return known.digest;
    const digest = sha256(await readFile(file));
    this.#hashed.set(file, { signature: sig, digest });
    return digest;
  }
}
