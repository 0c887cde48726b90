// A tool's answer as an MCP `tools/call` result. A plain value becomes
// `structuredContent` (object-rooted: a non-object is wrapped as `{result}`) plus a text
// block; content made with the SDK's `content.*` helpers (plain JSON tagged
// `$content`, see sdk/src/content.ts) becomes content blocks. A plugin failure is an
// `isError` result naming our error code; the call's receipt rides in `_meta`.
import { RuntimeError, type ErrorBody } from "../../sandbox/errors.ts";
import type { CallUsage } from "../../sandbox/index.ts";
import { CALL_FAILURE_CODES, type ToolMeta } from "../tools/index.ts";
import { objectOutputSchema } from "../tool-schemas/index.ts";

export const USAGE_META_KEY = "hiagent/usage";
export const ERROR_META_KEY = "hiagent/error";

type Block =
  | { type: "text"; text: string }
  | { type: "image" | "audio"; data: string; mimeType: string }
  | { type: "resource_link"; uri: string; name: string; title?: string; description?: string; mimeType?: string }
  | { type: "resource"; resource: { uri: string; mimeType?: string; text: string } | { uri: string; mimeType?: string; blob: string } };

export interface ToolCallResult {
  [key: string]: unknown;
  content: Block[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

/** The failures a model should see as a tool result; anything else is a protocol error. */
const TOOL_FAILURES: ReadonlySet<string> = new Set(CALL_FAILURE_CODES);

export function isToolFailure(err: RuntimeError): boolean {
  return TOOL_FAILURES.has(err.code);
}

const str = (v: unknown): v is string => typeof v === "string";
const optStr = (v: unknown): boolean => v === undefined || typeof v === "string";

/** The MCP block of one `$content`-tagged value, or null when it is not one. */
function blockOf(value: unknown): Block | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  switch (v.$content) {
    case "text":
      return str(v.text) ? { type: "text", text: v.text } : null;
    case "image":
    case "audio":
      return str(v.data) && str(v.mimeType) ? { type: v.$content, data: v.data, mimeType: v.mimeType } : null;
    case "resource_link":
      if (!str(v.uri) || !str(v.name) || !optStr(v.title) || !optStr(v.description) || !optStr(v.mimeType)) return null;
      return {
        type: "resource_link",
        uri: v.uri,
        name: v.name,
        ...(str(v.title) ? { title: v.title } : {}),
        ...(str(v.description) ? { description: v.description } : {}),
        ...(str(v.mimeType) ? { mimeType: v.mimeType } : {}),
      };
    case "resource": {
      const r = v.resource as Record<string, unknown> | null | undefined;
      if (typeof r !== "object" || r === null || !str(r.uri) || !optStr(r.mimeType)) return null;
      const mime = str(r.mimeType) ? { mimeType: r.mimeType } : {};
      if (str(r.text)) return { type: "resource", resource: { uri: r.uri, ...mime, text: r.text } };
      if (str(r.blob)) return { type: "resource", resource: { uri: r.uri, ...mime, blob: r.blob } };
      return null;
    }
    default:
      return null;
  }
}

/** Content blocks when the value is one tagged block or a non-empty array of them. */
function blocksOf(value: unknown): Block[] | null {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) return null;
  const blocks = list.map(blockOf);
  return blocks.every((b): b is Block => b !== null) ? blocks : null;
}

function structured(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { result: value };
}

export function successResult(value: unknown, tool: ToolMeta, usage: CallUsage | undefined): ToolCallResult {
  const meta = usage === undefined ? {} : { _meta: { [USAGE_META_KEY]: usage } };
  const blocks = blocksOf(value);
  // A tool that declares an output schema always answers structured content, as MCP requires.
  const declared = objectOutputSchema(tool) !== null;
  if (blocks !== null) return { content: blocks, ...(declared ? { structuredContent: structured(value) } : {}), ...meta };
  const text = typeof value === "string" ? value : JSON.stringify(value ?? null);
  return { content: [{ type: "text", text }], structuredContent: structured(value ?? null), ...meta };
}

export function failureResult(err: RuntimeError, usage: CallUsage | undefined): ToolCallResult {
  const body: ErrorBody = err.toBody();
  return {
    isError: true,
    content: [{ type: "text", text: `${body.code}: ${body.message}` }],
    _meta: { [ERROR_META_KEY]: body, ...(usage === undefined ? {} : { [USAGE_META_KEY]: usage }) },
  };
}

/** A streaming tool's whole output, as a plain call collects it: strings joined, else the list. */
export function collected(chunks: unknown[]): unknown {
  return chunks.every((c) => typeof c === "string") ? chunks.join("") : chunks;
}
