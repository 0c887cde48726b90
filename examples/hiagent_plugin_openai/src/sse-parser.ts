// An incremental reader of server-sent events (the `text/event-stream` format), fed
// straight from a response body. It yields each event's data as soon as the blank line
// that ends it arrives, so the first token reaches the caller before the last is sent.

/** What `response.body` offers in the sandbox (and in browsers and Node). */
export interface ByteSource {
  getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> };
}

/** Yields the `data` of each event (multi-line data joined with "\n"); comments and other fields are skipped. */
export async function* readSseData(body: ByteSource): AsyncGenerator<string> {
  const reader = body.getReader();
  // `stream: true` keeps a multi-byte character split across two chunks intact.
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  let finished = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        if (line === "") {
          if (data.length > 0) yield data.join("\n");
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
        }
      }
      if (done) break;
    }
    // A stream that ends without the final blank line still delivers its last event.
    if (buffer.startsWith("data:")) data.push(buffer.slice(buffer.startsWith("data: ") ? 6 : 5));
    if (data.length > 0) yield data.join("\n");
    finished = true;
  } finally {
    // The consumer stopped early (e.g. at [DONE]): hang up instead of reading the rest.
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}
