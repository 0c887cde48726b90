// Rich tool results: helpers that build MCP content (text, image, audio, resource
// links, embedded resources) as plain tagged JSON. Results leave the isolate as JSON
// text only, so a block is a plain object marked by its `$content` key, bytes as
// base64. Over MCP the host turns each block into a content block; over /v1 the
// tagged JSON is the answer as is (docs/plugins.md, "Rich results").
// Runs inside the sandbox isolate: no Node API.

/** The key that marks a content block; its value is the block's MCP type. */
export const CONTENT_TAG = "$content";

export type Bytes = Uint8Array | ArrayBuffer | string;

export interface TextBlock {
  $content: "text";
  text: string;
}
export interface ImageBlock {
  $content: "image";
  /** base64 */
  data: string;
  mimeType: string;
}
export interface AudioBlock {
  $content: "audio";
  /** base64 */
  data: string;
  mimeType: string;
}
export interface ResourceLinkBlock {
  $content: "resource_link";
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}
export interface EmbeddedResourceBlock {
  $content: "resource";
  resource: { uri: string; mimeType?: string; text: string } | { uri: string; mimeType?: string; blob: string };
}
export type ContentBlock = TextBlock | ImageBlock | AudioBlock | ResourceLinkBlock | EmbeddedResourceBlock;

const CHUNK = 0x8000;

/** base64 of bytes; a string is taken as already base64. */
function base64(bytes: Bytes): string {
  if (typeof bytes === "string") return bytes;
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  for (let i = 0; i < view.length; i += CHUNK) binary += String.fromCharCode(...view.subarray(i, i + CHUNK));
  return btoa(binary);
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length === 0) throw new TypeError(`content.${what} must be a non-empty string`);
  return value;
}

export const content = {
  text(text: string): TextBlock {
    if (typeof text !== "string") throw new TypeError("content.text: text must be a string");
    return { $content: "text", text };
  },
  /** An image: bytes (or base64 text) and its MIME type, e.g. `image/png`. */
  image(bytes: Bytes, mimeType: string): ImageBlock {
    return { $content: "image", data: base64(bytes), mimeType: requireString(mimeType, "image: mimeType") };
  },
  /** Audio: bytes (or base64 text) and its MIME type, e.g. `audio/wav`. */
  audio(bytes: Bytes, mimeType: string): AudioBlock {
    return { $content: "audio", data: base64(bytes), mimeType: requireString(mimeType, "audio: mimeType") };
  },
  /** A link to a resource the client may fetch itself. */
  resourceLink(uri: string, name: string, extra: { title?: string; description?: string; mimeType?: string } = {}): ResourceLinkBlock {
    return { $content: "resource_link", uri: requireString(uri, "resourceLink: uri"), name: requireString(name, "resourceLink: name"), ...extra };
  },
  /** A resource carried in the result: `text`, or `bytes` (sent as base64 `blob`). */
  resource(uri: string, body: { text: string } | { bytes: Bytes }, mimeType?: string): EmbeddedResourceBlock {
    requireString(uri, "resource: uri");
    const mime = mimeType === undefined ? {} : { mimeType };
    if ("text" in body) return { $content: "resource", resource: { uri, ...mime, text: String(body.text) } };
    return { $content: "resource", resource: { uri, ...mime, blob: base64(body.bytes) } };
  },
} as const;
