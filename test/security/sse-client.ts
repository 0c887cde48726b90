// A raw SSE client over node:http for the stream cases: it can stop reading (the
// socket then fills and TCP pushes back on the server) and resume, or hang up.
import { request, type IncomingMessage } from "node:http";

export interface SseConnection {
  response: IncomingMessage;
  /** Bytes received so far. */
  received(): number;
  /** Reads the rest of the stream and returns its text. */
  readToEnd(): Promise<string>;
  /** Hangs up. */
  close(): void;
}

/** POSTs `body` and resolves once the response head arrives, with the body paused. */
export function openSse(url: string, body: object, headers: Record<string, string> = {}): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = request(url, { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers } }, (response) => {
      response.pause();
      let received = 0;
      const parts: Buffer[] = [];
      response.on("data", (part: Buffer) => {
        received += part.length;
        parts.push(part);
      });
      resolve({
        response,
        received: () => received,
        readToEnd: () =>
          new Promise<string>((done, fail) => {
            response.once("end", () => done(Buffer.concat(parts).toString("utf8")));
            response.once("error", fail);
            response.resume();
          }),
        close: () => {
          req.destroy();
          response.destroy();
        },
      });
    });
    req.once("error", reject);
    req.end(text);
  });
}
