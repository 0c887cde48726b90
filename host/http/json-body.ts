// Reads a request body as JSON whatever its Content-Type (HiAgent's own `curl -d`
// examples send form-encoded JSON text). The size cap holds before anything is
// buffered past it: a declared Content-Length over the cap is refused unread, and
// the bytes are counted as they arrive otherwise.
import { RuntimeError } from "../../sandbox/errors.ts";

export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const text = await readBodyText(request, maxBytes);
  // An empty body is `{}`, so body-less calls (ListPackages) work as they did with HiAgent.
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof SyntaxError ? err.message : "not JSON";
    throw new RuntimeError("InvalidRequest", `The request body is not valid JSON: ${reason}`);
  }
}

async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (request.body === null) return "";

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new RuntimeError("InvalidRequest", "The request body is not valid UTF-8");
  }
}

function tooLarge(maxBytes: number): RuntimeError {
  return new RuntimeError("PayloadTooLarge", `The request body is over ${maxBytes} bytes (server.max_body_bytes)`);
}
