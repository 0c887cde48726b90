// Reaches past the Fetch API to Node's own request and response when the app runs on
// @hono/node-server. Building a WHATWG Request (for its body stream or its signal)
// costs more than the rest of a call's HTTP handling, so the hot path avoids it and
// uses the IncomingMessage and the ServerResponse's close instead.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "hono";

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

function bindings(c: Context): NodeBindings | undefined {
  const env: unknown = c.env;
  return typeof env === "object" && env !== null ? (env as NodeBindings) : undefined;
}

/** Where to read the request body from: Node's stream when there is one. */
export function bodySource(c: Context): IncomingMessage | Request {
  return bindings(c)?.incoming ?? c.req.raw;
}

/** A signal that aborts when the client goes away before its response is complete. */
export function clientSignal(c: Context): AbortSignal {
  const outgoing = bindings(c)?.outgoing;
  if (outgoing === undefined) return c.req.raw.signal;
  const controller = new AbortController();
  outgoing.once("close", () => {
    if (!outgoing.writableFinished) controller.abort(new Error("the client went away"));
  });
  return controller.signal;
}

/** The peer's address as the socket reports it (undefined off @hono/node-server). */
export function peerAddress(c: Context): string | undefined {
  return bindings(c)?.incoming?.socket.remoteAddress;
}
