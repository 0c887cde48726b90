// Turns anything thrown while serving into the error a client may see. RuntimeErrors
// pass as they are; anything else is `Internal` with a message that names the request
// (for the logs) and nothing of the host: no stack, no path, no library message.
import { HTTPException } from "hono/http-exception";
import { RuntimeError, type ErrorCode } from "../../sandbox/errors.ts";

const BY_STATUS: Record<number, ErrorCode> = {
  400: "InvalidRequest",
  401: "Unauthorized",
  403: "Forbidden",
  413: "PayloadTooLarge",
  429: "RateLimited",
  503: "QueueUnavailable",
};

export interface ClientError {
  error: RuntimeError;
  /** Not a RuntimeError: a bug or an unforeseen failure, to be logged with its stack. */
  unexpected: boolean;
}

export function toClientError(err: unknown, requestId: string | undefined): ClientError {
  if (err instanceof RuntimeError) return { error: err, unexpected: false };
  if (err instanceof HTTPException) {
    const code = BY_STATUS[err.status];
    if (code !== undefined) return { error: new RuntimeError(code, err.message || code), unexpected: false };
  }
  const ref = requestId === undefined ? "" : ` (request ${requestId})`;
  return { error: new RuntimeError("Internal", `internal error${ref}`), unexpected: true };
}
