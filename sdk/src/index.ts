// What plugin authors import. This module runs inside the sandbox isolate, so it
// imports nothing but zod (and its own content
// helpers) and uses no Node API.
import { z } from "zod";

export { z };
export { CONTENT_TAG, content } from "./content.ts";
export type { AudioBlock, Bytes, ContentBlock, EmbeddedResourceBlock, ImageBlock, ResourceLinkBlock, TextBlock } from "./content.ts";

/** Marks the objects made by definePlugin, so the runtime recognises them even from a vendored SDK copy. */
export const PLUGIN_BRAND = Symbol.for("hiagent.plugin");
/** The method the runtime calls to read a plugin's metadata (JSON-safe). */
export const DESCRIBE = Symbol.for("hiagent.describe");

export type Labels = Record<string, string>;

export interface FetchInit {
  method?: string;
  headers?: Record<string, string> | [string, string][] | Headers;
  body?: string | Uint8Array | ArrayBuffer | URLSearchParams | null;
  redirect?: "follow" | "manual" | "error";
  signal?: AbortSignal;
}

export interface ToolLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface ToolContext<Cfg = unknown> {
  /** The caller's config, parsed by the plugin's config schema. */
  cfg: Cfg;
  /** fetch scoped to the package's `permissions.fetch` origins. */
  fetch: (input: string | URL | Request, init?: FetchInit) => Promise<Response>;
  /** Goes to the host's log, tagged with package, tool and call id. */
  log: ToolLogger;
  /** Aborted on timeout or when the caller goes away. */
  signal: AbortSignal;
  /** The tenant the call runs for. */
  tenant: string;
}

/** An error a plugin throws on purpose: its message (and data) reach the caller as is. */
export class PluginError extends Error {
  readonly data: unknown;
  constructor(message: string, options?: { data?: unknown; cause?: unknown }) {
    super(message);
    this.name = "PluginError";
    this.data = options?.data;
  }
}

export interface SecretOptions {
  /**
   * The plugin gets the raw value instead of a placeholder (flagged
   * `x-hiagent-secret-exposed`); an operator may refuse such packages.
   */
  exposed?: boolean;
}

/**
 * Marks a config field secret: flagged `x-hiagent-secret` in its JSON Schema and never
 * logged. In the sandbox the plugin sees a placeholder in its place, which the fetch
 * bridge swaps for the real value only in requests to the package's declared origins.
 */
export function secret<T extends z.ZodType>(schema: T, options?: SecretOptions): T {
  return schema.meta(options?.exposed === true ? { secret: true, secret_exposed: true } : { secret: true }) as T;
}

type AnySchema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : unknown;
type In<S> = S extends z.ZodType ? z.input<S> : Record<string, unknown>;

type RunResult<O, Stream> = Stream extends true
  ? Iterable<O> | AsyncIterable<O>
  : O | Promise<O>;

export interface ToolDefinition<
  I extends AnySchema | undefined = AnySchema | undefined,
  O extends AnySchema | undefined = AnySchema | undefined,
  Stream extends boolean | undefined = boolean | undefined,
  Cfg = any,
> {
  /** A display name for clients (MCP `title`). */
  title?: string;
  description?: string;
  labels?: Labels;
  /** Hints for clients about what the tool does (MCP tool annotations); never enforced. */
  annotations?: ToolAnnotations;
  input?: I;
  output?: O;
  stream?: Stream;
  run(input: Out<I>, ctx: ToolContext<Cfg>): RunResult<Out<O>, Stream>;
}

export interface PluginDefinition<C extends AnySchema | undefined = AnySchema | undefined> {
  name: string;
  description?: string;
  labels?: Labels;
  category?: string;
  icon?: string;
  config?: C;
  validate?(cfg: Out<C>, ctx: ToolContext<Out<C>>): void | Promise<void>;
  tools: Record<string, ToolDefinition<any, any, any, Out<C>>>;
}

/** Hints about a tool's behaviour, as MCP defines them. */
export interface ToolAnnotations {
  /** The tool changes nothing. */
  readOnlyHint?: boolean;
  /** The tool may destroy or overwrite data (meaningful when not read-only). */
  destructiveHint?: boolean;
  /** Calling it again with the same input has no further effect. */
  idempotentHint?: boolean;
  /** The tool reaches outside systems (the open world), not only its own. */
  openWorldHint?: boolean;
}

const ANNOTATION_KEYS = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const;

export interface ToolMeta {
  name: string;
  /** Present when the tool sets one. */
  title?: string;
  description: string;
  /** Present when the tool sets any. */
  annotations?: ToolAnnotations;
  labels: Labels;
  input_schema: unknown;
  output_schema: unknown;
  stream: boolean;
}

export interface PluginMeta {
  name: string;
  description: string;
  category: string;
  labels: Labels;
  icon: string;
  config_required: boolean;
  config_schema: unknown;
  tools: Record<string, ToolMeta>;
}

export type Plugin<C extends AnySchema | undefined = AnySchema | undefined> = PluginDefinition<C> & {
  readonly [PLUGIN_BRAND]: true;
  readonly [DESCRIBE]: () => PluginMeta;
};

export function defineTool<
  I extends AnySchema | undefined = undefined,
  O extends AnySchema | undefined = undefined,
  Stream extends boolean | undefined = undefined,
  Cfg = any,
>(tool: ToolDefinition<I, O, Stream, Cfg>): ToolDefinition<I, O, Stream, Cfg> {
  if (typeof tool?.run !== "function") throw new TypeError("defineTool: `run` must be a function");
  return tool;
}

export function definePlugin<C extends AnySchema | undefined = undefined>(def: PluginDefinition<C>): Plugin<C> {
  if (!def || typeof def.name !== "string" || def.name.length === 0) {
    throw new TypeError("definePlugin: `name` must be a non-empty string");
  }
  if (!def.tools || typeof def.tools !== "object") throw new TypeError(`definePlugin(${def.name}): \`tools\` must be an object`);
  for (const [toolName, tool] of Object.entries(def.tools)) {
    if (typeof tool?.run !== "function") throw new TypeError(`definePlugin(${def.name}): tool ${toolName} has no run function`);
  }
  const plugin = Object.assign({}, def) as Plugin<C>;
  Object.defineProperty(plugin, PLUGIN_BRAND, { value: true });
  Object.defineProperty(plugin, DESCRIBE, { value: () => describePlugin(def) });
  return plugin;
}

function jsonSchema(schema: AnySchema | undefined, io: "input" | "output"): unknown {
  if (!schema) return null;
  return z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    override: (ctx) => {
      const meta = z.globalRegistry.get(ctx.zodSchema);
      const json = ctx.jsonSchema as Record<string, unknown>;
      if (meta && (meta as Record<string, unknown>).secret === true) {
        delete json.secret;
        json["x-hiagent-secret"] = true;
        if ((meta as Record<string, unknown>).secret_exposed === true) {
          delete json.secret_exposed;
          json["x-hiagent-secret-exposed"] = true;
        }
      }
    },
  });
}

/** Only the four boolean hints are kept, so the metadata stays plain JSON. */
function annotationsOf(given: ToolAnnotations | undefined): { annotations?: ToolAnnotations } {
  if (given === undefined || given === null || typeof given !== "object") return {};
  const annotations: ToolAnnotations = {};
  for (const key of ANNOTATION_KEYS) if (typeof given[key] === "boolean") annotations[key] = given[key];
  return Object.keys(annotations).length === 0 ? {} : { annotations };
}

function isConfigRequired(schema: AnySchema | undefined): boolean {
  if (!schema) return false;
  return !schema.safeParse(undefined).success && !schema.safeParse({}).success;
}

export function describePlugin(def: PluginDefinition<any>): PluginMeta {
  const tools: Record<string, ToolMeta> = {};
  for (const [name, tool] of Object.entries(def.tools)) {
    tools[name] = {
      name,
      ...(typeof tool.title === "string" ? { title: tool.title } : {}),
      description: tool.description ?? "",
      ...annotationsOf(tool.annotations),
      labels: { ...(tool.labels ?? {}) },
      input_schema: jsonSchema(tool.input, "input") ?? { type: "object" },
      output_schema: jsonSchema(tool.output, "output"),
      stream: tool.stream === true,
    };
  }
  return {
    name: def.name,
    description: def.description ?? "",
    category: def.category ?? "",
    labels: { ...(def.labels ?? {}) },
    icon: def.icon ?? "",
    config_required: isConfigRequired(def.config),
    config_schema: jsonSchema(def.config, "input"),
    tools,
  };
}
