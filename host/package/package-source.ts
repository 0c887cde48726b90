// Fetches the bytes of a package zip from its install URI (SPEC §2 step 1, §9.6):
// `file://` only from the operator's `package.file_roots` (realpath-checked), and
// `http(s)://` through the bridge's guarded download (address policy, redirects,
// timeout, byte cap). Anything larger than `package.max_package_bytes` is refused.
import { open, realpath } from "node:fs/promises";
import path from "node:path";
import { downloadToBuffer, type DownloadOptions } from "../../sandbox/bridge/guarded-fetch.ts";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { FetchOptions } from "../../sandbox/options.ts";
import type { UploadStore } from "./upload-store.ts";

export interface PackageSourceOptions {
  /** Folders `file://` installs may read from; a relative `file://` URI is relative to the first. */
  fileRoots: readonly string[];
  maxPackageBytes: number;
  fetch: FetchOptions;
  /** Deadline of an http(s) download. */
  downloadTimeoutMs?: number;
  signal?: AbortSignal;
  /** Where `upload://` sources are kept; without it they are refused. */
  uploads?: UploadStore;
  /** The HTTP download; the guarded one unless a test swaps it. */
  download?: (url: string, options: DownloadOptions) => Promise<Buffer>;
}

const DEFAULT_DOWNLOAD_TIMEOUT_MS = 120_000;

function tooLarge(maxBytes: number): RuntimeError {
  return new RuntimeError("InvalidPackage", `package larger than ${maxBytes} bytes (package.max_package_bytes)`);
}

function isInside(root: string, file: string): boolean {
  return file.startsWith(root + path.sep);
}

/**
 * The path a `file://` URI names. `file:///abs/x.zip` (and `file://localhost/abs/x.zip`)
 * is absolute; the HiAgent guide's `file://path/x.zip` is relative to the first root.
 */
function filePathOf(uri: string, firstRoot: string): string {
  const rest = uri.slice("file://".length).replace(/[?#].*$/, "");
  if (!/^file:\/\//i.test(uri)) throw new RuntimeError("InvalidRequest", `install URI ${uri} is not a valid file:// URI`);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new RuntimeError("InvalidRequest", `install URI ${uri} is not a valid file:// URI`);
  }
  if (decoded.includes("\0") || decoded === "") throw new RuntimeError("InvalidRequest", `install URI ${uri} is not a valid file:// URI`);
  if (decoded.startsWith("/")) return path.resolve(decoded);
  if (decoded.startsWith("localhost/")) return path.resolve(decoded.slice("localhost".length));
  return path.resolve(firstRoot, decoded);
}

async function readFileSource(uri: string, options: PackageSourceOptions): Promise<Buffer> {
  const firstRoot = options.fileRoots[0];
  if (firstRoot === undefined) throw new RuntimeError("Forbidden", "file:// installs are disabled (package.file_roots is empty)");
  const lexical = filePathOf(uri, path.resolve(firstRoot));
  const roots = await Promise.all(options.fileRoots.map((root) => realpath(root).catch(() => null)));
  const lexicalRoots = options.fileRoots.map((root) => path.resolve(root));
  const forbidden = new RuntimeError("Forbidden", `install URI ${uri} is outside the allowed package.file_roots`);

  let real: string;
  try {
    real = await realpath(lexical);
  } catch {
    // Only say "not found" for paths that would have been allowed, so the answer
    // reveals nothing about the rest of the disk.
    if (!lexicalRoots.some((root) => isInside(root, lexical))) throw forbidden;
    throw new RuntimeError("InvalidRequest", `package file not found: ${uri}`);
  }
  if (!roots.some((root) => root !== null && isInside(root, real))) throw forbidden;

  const handle = await open(real, "r");
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new RuntimeError("InvalidRequest", `install URI ${uri} is not a file`);
    if (info.size > options.maxPackageBytes) throw tooLarge(options.maxPackageBytes);
    // Read at most one byte past the cap, in case the file grows while we read.
    const buffer = Buffer.alloc(Math.min(info.size, options.maxPackageBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      options.signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > options.maxPackageBytes) throw tooLarge(options.maxPackageBytes);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

async function readHttpSource(uri: string, options: PackageSourceOptions): Promise<Buffer> {
  const download = options.download ?? downloadToBuffer;
  try {
    return await download(uri, {
      maxBytes: options.maxPackageBytes,
      timeoutMs: options.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS,
      signal: options.signal,
      allowPrivateNetwork: options.fetch.allow_private_network,
      allowPrivateOrigins: options.fetch.allow_private_origins,
      denyOrigins: options.fetch.deny_origins,
      maxRedirects: options.fetch.max_redirects,
    });
  } catch (err) {
    if (err instanceof RuntimeError && (err.data as { rule?: unknown } | undefined)?.rule === "response_bytes") {
      throw tooLarge(options.maxPackageBytes);
    }
    throw err;
  }
}

/** The zip bytes behind an install URI. */
export async function readPackageSource(uri: string, options: PackageSourceOptions): Promise<Buffer> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  switch (scheme) {
    case "file":
      return readFileSource(uri, options);
    case "http":
    case "https":
      return readHttpSource(uri, options);
    case "upload":
      if (options.uploads === undefined) throw new RuntimeError("InvalidRequest", "upload:// sources are read only by the node the package was uploaded to");
      return options.uploads.read(uri, options.maxPackageBytes);
    case "s3":
      throw new RuntimeError("InvalidRequest", "s3:// sources need storage.backend s3 (not supported yet)");
  }
  throw new RuntimeError("InvalidRequest", `unsupported install URI ${JSON.stringify(uri)}: use file://, http:// or https://`);
}
