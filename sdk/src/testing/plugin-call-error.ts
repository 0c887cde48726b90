// The error an author's test (or the CLI) sees when a call fails: the runtime's error
// code and message, with the plugin's stack mapped to the author's source files so
// test runners print `src/index.ts:12:7` rather than a bundle position. Node-side;
// it imports the runtime by relative path (the SDK is a workspace of its repository).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { isErrorCode, type ErrorCode } from "../../../sandbox/errors.ts";
import { INSTALLED_FILES } from "../../../sandbox/sandbox-api.ts";
import { firstLocation, StackMapper } from "../../../sandbox/source-map/stack-mapper.ts";

export class PluginCallError extends Error {
  /** The runtime's error code (SPEC §5), e.g. `ToolError`, `InvalidInput`, `FetchDenied`. */
  readonly code: ErrorCode;
  /** The error's details (validation issues, PluginError data); `stack` in it is source-mapped. */
  readonly data: unknown;
  /** The first frame in the author's code, e.g. `src/index.ts:12:7`; null when unknown. */
  readonly location: string | null;

  constructor(code: ErrorCode, message: string, data: unknown, pluginStack: string | null) {
    super(message);
    this.name = "PluginCallError";
    this.code = code;
    this.data = data;
    this.location = pluginStack ? firstLocation(pluginStack) : null;
    // The plugin's own frames are what an author needs; the harness's frames are noise.
    if (pluginStack) this.stack = `${this.name} [${code}]: ${message}\n${indent(pluginStack)}`;
  }
}

function indent(stack: string): string {
  return stack
    .split("\n")
    .map((line) => `    ${line.trim()}`)
    .join("\n");
}

function stackOf(data: unknown): string | null {
  const stack = data && typeof data === "object" ? (data as { stack?: unknown }).stack : undefined;
  return typeof stack === "string" && stack.length > 0 ? stack : null;
}

/** Turns what the sandbox throws into PluginCallErrors, mapping stacks with the installed source map. */
export class CallErrorMapper {
  #mapper: Promise<StackMapper | null> | null = null;

  constructor(private readonly installedDir: string) {}

  async toCallError(err: unknown): Promise<PluginCallError> {
    if (err instanceof PluginCallError) return err;
    const body = err as { code?: unknown; message?: unknown; data?: unknown } | null;
    const code: ErrorCode = isErrorCode(body?.code) ? body.code : "Internal";
    const message = typeof body?.message === "string" ? body.message : String(err);
    const raw = stackOf(body?.data);
    if (!raw) return new PluginCallError(code, message, body?.data, null);
    const mapper = await this.#stackMapper();
    const mapped = mapper ? mapper.mapStack(raw) : raw;
    const data = { ...(body?.data as Record<string, unknown>), stack: mapped };
    return new PluginCallError(code, message, data, mapped);
  }

  #stackMapper(): Promise<StackMapper | null> {
    this.#mapper ??= readFile(path.join(this.installedDir, INSTALLED_FILES.sourceMap), "utf8").then(
      (json) => new StackMapper(json),
      () => null,
    );
    return this.#mapper;
  }
}
