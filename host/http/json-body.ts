// Reads a request body as JSON whatever its Content-Type (HiAgent's own `curl -d`
// examples send form-encoded JSON text). The size cap holds before anything is
// buffered past it: a declared Content-Length over the cap is refused unread, and
// the bytes are counted as they arrive otherwise. Its depth and key count are checked
// on the text before it is parsed (json-limits.ts).
import { IncomingMessage } from "node:http";
import { RuntimeError } from "../../sandbox/errors.ts";
import { checkJsonShape } from "./json-limits.ts";

/** `capName` is the config key named when the body is over `maxBytes`. */
export async function readBodyBytes(from: IncomingMessage | Request, maxBytes: number, capName = "server.max_body_bytes"): Promise<Uint8Array> {
  const declared = from instanceof IncomingMessage ? from.headers["content-length"] : from.headers.get("content-length");
  if (declared != null && Number(declared) > maxBytes) throw tooLarge(maxBytes, capName);
  return from instanceof IncomingMessage ? readIncoming(from, maxBytes, capName) : readStream(from.body, maxBytes, capName);
}

export async function readJsonBody(from: IncomingMessage | Request, maxBytes: number): Promise<unknown> {
  const bytes = await readBodyBytes(from, maxBytes);

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new RuntimeError("InvalidRequest", "the request body is not valid UTF-8");
  }
  // An empty body is `{}`, so body-less calls (ListPackages) work as they did with HiAgent.
  if (text.trim() === "") return {};
  checkJsonShape(text);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof SyntaxError ? err.message : "not JSON";
    throw new RuntimeError("InvalidRequest", `the request body is not valid JSON: ${reason}`);
  }
}

/** Node's stream: stops listening past the cap (the server drains or drops the rest after answering). */
function readIncoming(incoming: IncomingMessage, maxBytes: number, capName: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        reject(tooLarge(maxBytes, capName));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new RuntimeError("InvalidRequest", `the request body could not be read: ${err.message}`));
    };
    const onClose = (): void => {
      if (incoming.readableEnded) return;
      cleanup();
      reject(new RuntimeError("InvalidRequest", "the client went away while sending the body"));
    };
    if (incoming.readableEnded) return resolve(new Uint8Array(0));
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
}

async function readStream(body: ReadableStream<Uint8Array> | null, maxBytes: number, capName: string): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes, capName);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size);
}

function tooLarge(maxBytes: number, capName: string): RuntimeError {
  return new RuntimeError("PayloadTooLarge", `the request body is over ${maxBytes} bytes (${capName})`);
}
