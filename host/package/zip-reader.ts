// Opens an untrusted package zip and writes its files into a folder (SPEC §2 step 2, §9.7).
// jszip only cleans `..`, keeps the last of repeated names and trusts header sizes, so
// every name is checked as it was written in the archive, repeats are found by counting
// the central directory, and bytes are counted while they inflate.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import JSZip from "jszip";
import { RuntimeError } from "../../sandbox/errors.ts";
import { readCentralDirectoryInfo } from "./zip-central-directory.ts";

export interface ZipLimits {
  maxEntries: number;
  /** Sum of the inflated sizes of all entries. */
  maxTotalBytes: number;
  /** An entry inflating to more than `ratioMinBytes` may not exceed this ratio to its compressed size. */
  maxEntryRatio: number;
  ratioMinBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 10_000,
  maxTotalBytes: 200 * 1024 * 1024,
  maxEntryRatio: 200,
  ratioMinBytes: 1024 * 1024,
};

/** How much a package may inflate to, relative to the largest archive accepted. */
const INFLATE_FACTOR = 4;

/** Zip limits for a deployment whose `package.max_package_bytes` is given. */
export function zipLimitsFor(maxPackageBytes: number): ZipLimits {
  return { ...DEFAULT_ZIP_LIMITS, maxTotalBytes: maxPackageBytes * INFLATE_FACTOR };
}

export interface UnpackOptions {
  limits?: ZipLimits;
  signal?: AbortSignal;
  /** Told of every inflated chunk's size before it is kept; throwing stops the unpack with that error. */
  onInflated?: (bytes: number) => void;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
/** Folders that archivers add beside the real content (macOS "Compress"). */
const JUNK_PREFIX = "__MACOSX/";

function invalidPackage(message: string): RuntimeError {
  return new RuntimeError("InvalidPackage", message);
}

/** Printable form of an entry name for messages (names are attacker-chosen). */
function shown(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}

/** Throws unless `name` is a plain relative path of forward-slash segments. */
export function checkEntryName(name: string): void {
  const what = `zip entry ${shown(name)}`;
  if (name.length === 0) throw invalidPackage("zip entry with an empty name");
  if (/[\u0000-\u001f\u007f]/.test(name)) throw invalidPackage(`${what} has a NUL or control character in its name`);
  if (name.includes("\\")) throw invalidPackage(`${what} has a backslash in its name`);
  if (/^[a-zA-Z]:/.test(name)) throw invalidPackage(`${what} starts with a drive letter`);
  if (name.startsWith("/")) throw invalidPackage(`${what} has an absolute path`);
  const segments = name.endsWith("/") ? name.slice(0, -1).split("/") : name.split("/");
  for (const segment of segments) {
    if (segment === "..") throw invalidPackage(`${what} climbs out of the package with ".."`);
    if (segment === "." || segment === "") throw invalidPackage(`${what} has an empty or "." path segment`);
  }
}

function unixMode(permissions: number | string | null): number | null {
  if (typeof permissions === "number") return permissions;
  if (typeof permissions === "string" && /^[0-7]+$/.test(permissions)) return parseInt(permissions, 8);
  return null;
}

interface FileEntry {
  name: string;
  object: JSZip.JSZipObject;
}

/** Validated file entries (folders dropped: parents are made as files are written). */
function listFiles(zip: JSZip): FileEntry[] {
  const files: FileEntry[] = [];
  const seen = new Map<string, string>();
  for (const object of Object.values(zip.files)) {
    const mode = unixMode(object.unixPermissions);
    if (mode !== null && (mode & S_IFMT) === S_IFLNK) throw invalidPackage(`zip entry ${shown(object.name)} is a symbolic link`);
    if (object.dir) continue;
    const name = object.unsafeOriginalName ?? object.name;
    checkEntryName(name);
    const key = name.toLowerCase();
    const earlier = seen.get(key);
    if (earlier !== undefined) throw invalidPackage(`zip entries ${shown(earlier)} and ${shown(name)} differ only in case`);
    seen.set(key, name);
    files.push({ name, object });
  }
  // A file may not also be the folder of another file ("a" and "a/b").
  for (const { name } of files) {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = seen.get(parts.slice(0, i).join("/").toLowerCase());
      if (parent !== undefined) throw invalidPackage(`zip entry ${shown(parent)} is both a file and the folder of ${shown(name)}`);
    }
  }
  return files;
}

/** The folder prefix to strip when every real entry lives under one top folder ("compress folder" zips). */
function commonTopFolder(names: string[]): string {
  const real = names.filter((name) => !name.startsWith(JUNK_PREFIX));
  const first = real[0];
  if (first === undefined) return "";
  const slash = first.indexOf("/");
  if (slash < 0) return "";
  const prefix = first.slice(0, slash + 1);
  return real.every((name) => name.startsWith(prefix)) ? prefix : "";
}

function compressedSizeOf(object: JSZip.JSZipObject, archiveBytes: number): number {
  // jszip keeps the central directory's compressed size on its internal `_data`;
  // if that ever moves, the whole archive size is a safe (looser) bound.
  const data = (object as unknown as { _data?: { compressedSize?: unknown } })._data;
  return typeof data?.compressedSize === "number" ? data.compressedSize : archiveBytes;
}

function declaredSizeOf(object: JSZip.JSZipObject): number | null {
  const data = (object as unknown as { _data?: { uncompressedSize?: unknown } })._data;
  return typeof data?.uncompressedSize === "number" ? data.uncompressedSize : null;
}

interface InflateBudget {
  limits: ZipLimits;
  totalBytes: number;
  archiveBytes: number;
  signal: AbortSignal | undefined;
  onInflated: ((bytes: number) => void) | undefined;
}

/** jszip's internal stream (`internalStream`, untyped): chunks as they inflate, pausable. */
interface InflateStream {
  on(event: "data", listener: (chunk: Uint8Array) => void): InflateStream;
  on(event: "end", listener: () => void): InflateStream;
  on(event: "error", listener: (err: unknown) => void): InflateStream;
  resume(): InflateStream;
  pause(): InflateStream;
}

function openInflateStream(object: JSZip.JSZipObject): InflateStream {
  return (object as unknown as { internalStream(type: "uint8array"): InflateStream }).internalStream("uint8array");
}

/** Inflates one entry, counting bytes as they come, and stops at the first limit passed. */
function inflate(entry: FileEntry, budget: InflateBudget): Promise<Buffer> {
  const { limits, signal } = budget;
  const compressed = Math.max(1, compressedSizeOf(entry.object, budget.archiveBytes));
  const chunks: Uint8Array[] = [];
  let size = 0;
  return new Promise<Buffer>((resolve, reject) => {
    const stream = openInflateStream(entry.object);
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      stream.pause();
      reject(err);
    };
    stream
      .on("data", (chunk) => {
        if (settled) return;
        if (signal?.aborted) return fail(signal.reason);
        size += chunk.length;
        budget.totalBytes += chunk.length;
        if (budget.totalBytes > limits.maxTotalBytes) {
          return fail(invalidPackage(`package inflates to more than ${limits.maxTotalBytes} bytes (at zip entry ${shown(entry.name)})`));
        }
        if (size > limits.ratioMinBytes && size / compressed > limits.maxEntryRatio) {
          return fail(invalidPackage(`zip entry ${shown(entry.name)} inflates more than ${limits.maxEntryRatio}:1 (a zip bomb?)`));
        }
        try {
          budget.onInflated?.(chunk.length);
        } catch (err) {
          return fail(err);
        }
        chunks.push(chunk);
      })
      .on("error", (err) => {
        fail(invalidPackage(`zip entry ${shown(entry.name)} cannot be inflated: ${err instanceof Error ? err.message : String(err)}`));
      })
      .on("end", () => {
        if (settled) return;
        settled = true;
        const declared = declaredSizeOf(entry.object);
        if (declared !== null && declared !== size) {
          reject(invalidPackage(`zip entry ${shown(entry.name)} inflates to ${size} bytes but its header says ${declared}`));
        } else {
          resolve(Buffer.concat(chunks, size));
        }
      })
      .resume();
  });
}

/**
 * Checks `bytes` as a package zip and writes its files under `destDir` (which must be
 * empty). Returns the package-relative paths written. Any hazard is `InvalidPackage`.
 */
export async function unpackZip(bytes: Uint8Array, destDir: string, options: UnpackOptions = {}): Promise<string[]> {
  const limits = options.limits ?? DEFAULT_ZIP_LIMITS;
  const { signal } = options;
  const directory = readCentralDirectoryInfo(bytes, limits.maxEntries);
  if (directory.records !== directory.declaredRecords) {
    throw invalidPackage(`zip central directory holds ${directory.records} entries but its end record says ${directory.declaredRecords}`);
  }

  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(bytes, { checkCRC32: false, createFolders: false });
  } catch (err) {
    throw invalidPackage(`not a readable zip archive: ${err instanceof Error ? err.message : String(err)}`);
  }
  signal?.throwIfAborted();
  if (Object.keys(zip.files).length !== directory.records) {
    throw invalidPackage("zip holds entries with repeated names");
  }

  const files = listFiles(zip);
  const prefix = commonTopFolder(files.map((file) => file.name));
  const budget: InflateBudget = { limits, totalBytes: 0, archiveBytes: bytes.byteLength, signal, onInflated: options.onInflated };
  const root = path.resolve(destDir);
  const written: string[] = [];
  for (const file of files) {
    signal?.throwIfAborted();
    const data = await inflate(file, budget);
    if (file.name.startsWith(JUNK_PREFIX)) continue;
    const relative = file.name.slice(prefix.length);
    const target = path.resolve(root, relative);
    if (!target.startsWith(root + path.sep)) throw invalidPackage(`zip entry ${shown(file.name)} escapes the package folder`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, data, { flag: "wx", mode: 0o644 });
    written.push(relative);
  }
  return written;
}
