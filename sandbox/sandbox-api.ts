// The contract between the host and the sandbox: what the host may ask of it.
// Everything here is plain data; no isolate or process handle leaves the sandbox.
import type { PluginMeta } from "hiagent-plugin-sdk";

export type { PluginMeta };

/** An installed package version, as the sandbox reads it. */
export interface PackageTarget {
  pkg: string;
  version: string;
  /** Absolute path of the installed package folder (`extensions/{name}/{version}`). */
  dir: string;
  /**
   * The digests of the version's verified artifact record: the sandbox hashes every file
   * it reads and loads only those that match (a code cache that does not is rebuilt).
   */
  artifacts: ArtifactDigests;
}

/** Which isolate a call goes to: one per tenant + package + version. */
export interface IsolateTarget extends PackageTarget {
  tenant: string;
}

export interface ToolCall extends IsolateTarget {
  plugin: string;
  tool: string;
  /** JSON text of the tool's input (the host never re-parses it on the hot path). */
  inputJson: string;
  /** JSON text of the caller's cfg (`null` when none). */
  cfgJson: string;
  /** Tags the call's log lines (the client's request id); generated when absent. Never the call's identity, which the sandbox mints. */
  requestId?: string;
  /** Aborting it (client gone) aborts the tool and frees its slot. */
  signal?: AbortSignal;
  /** Receives the plugin's own `ctx.log` lines of this call, besides the host log. */
  onLog?: PluginLogSink;
}

/** Where a call's plugin log lines go (level as the plugin wrote it, text capped by the sandbox). */
export type PluginLogSink = (level: "debug" | "info" | "warn" | "error", msg: string) => void;

export interface ValidateCall extends IsolateTarget {
  plugin: string;
  cfgJson: string;
  requestId?: string;
  signal?: AbortSignal;
}

/** The resource receipt of one call. */
export interface CallUsage {
  cpu_ms: number;
  wall_ms: number;
  heap_peak_bytes: number;
  /** WebAssembly memory the isolate holds (the capped maxima of its memories), at its peak during the call. */
  wasm_memory_bytes: number;
  fetch_count: number;
  fetch_bytes: number;
}

export interface ToolResult {
  /** JSON text of the tool's return value. */
  json: string;
  usage: CallUsage;
}

/** A streaming call: chunks are JSON texts; `usage` settles when the stream ends. */
export interface ToolStream extends AsyncIterable<string> {
  readonly usage: Promise<CallUsage>;
  /** Stops the tool (as a client disconnect does). */
  cancel(): void;
}

/** What `inspect` needs: the bundle as the package builder produced it. */
export interface BundleSource {
  pkg: string;
  version: string;
  /** The bundle (CommonJS text; `hiagent-plugin-sdk` and `zod` are `require`d from the sandbox). */
  code: string;
}

export interface InspectResult {
  plugins: PluginMeta[];
  /** V8 code cache of the bundle, for fast cold starts; null if V8 produced none. */
  codeCache: Buffer | null;
}

/** What runs the isolates of one sandbox process, as that process reports it. */
export interface SandboxEngine {
  node: string;
  v8: string;
  isolated_vm: string;
}

export interface SandboxProcessHealth {
  pid: number | null;
  state: "ok" | "starting" | "down";
  engine: SandboxEngine | null;
  /** The OS sandbox layers in force around the process, and those missing (with why). */
  os_sandbox: { mode: "auto" | "required" | "off"; layers: string[]; missing: { layer: string; reason: string }[] };
  warm_isolates: number;
  /** `name@version` of each package with a loaded spare waiting for its next tenant. */
  package_spares: string[];
  in_flight: number;
  restarts: number;
}

/** One plugin fetch as it ended: where it went, and whether the bridge refused it (with the failure's code). */
export interface EgressReport {
  origin: string;
  status: number | null;
  bytes: number;
  refused: boolean;
  code?: string | undefined;
}

/** Receives every plugin fetch of every call, once each ended (for metrics). */
export type EgressListener = (report: EgressReport) => void;

export interface SandboxHealth {
  state: "ok" | "degraded" | "down";
  processes: SandboxProcessHealth[];
}

export interface Sandbox {
  start(): Promise<void>;
  runTool(call: ToolCall): Promise<ToolResult>;
  streamTool(call: ToolCall): ToolStream;
  /** Resolves when cfg is valid; rejects with `InvalidConfig` / `PluginInvalidConfig` otherwise. */
  validate(call: ValidateCall): Promise<void>;
  /** Evaluates a bundle once under the call limits to read its metadata and produce its code cache. */
  inspect(bundle: BundleSource): Promise<InspectResult>;
  /** Drops every warm isolate of this package version (all tenants). */
  dropPackage(pkg: string, version: string): Promise<void>;
  /**
   * Loads the package into a tenant-less spare isolate in every sandbox process, off the
   * hot path, so the first call of its next tenant starts warm (`package_spares`).
   */
  preparePackage(target: PackageTarget): void;
  health(): SandboxHealth;
  close(): Promise<void>;
}

/** Files of an installed package folder, as the sandbox reads them. */
export const INSTALLED_FILES = {
  manifest: "package.json",
  bundle: "bundle.js",
  sourceMap: "bundle.js.map",
  codeCache: "bundle.cache",
  meta: "meta.json",
  /** The version's artifact record: each file's SHA-256, authenticated with the deployment's artifact key. */
  record: "artifacts.json",
} as const;

/** SHA-256 (hex) of each installed file, by path inside the version folder, from a verified artifact record. */
export type ArtifactDigests = Readonly<Record<string, string>>;
