// Streams a tool's chunks as server-sent events (SPEC §5): one
// `data: {"data":<chunk>,"error":null}` event per chunk, a failure as one error event,
// then `event: end`. The body pulls one chunk at a time, so a slow client slows the
// tool instead of piling chunks up here; a client that goes away cancels the tool.
import type { Context } from "hono";
import type { RuntimeError } from "../../sandbox/errors.ts";
import { toClientError } from "./client-error.ts";
import { dataBody, errorBody } from "./envelope.ts";

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  // Tells nginx-style proxies not to buffer the stream.
  "x-accel-buffering": "no",
} as const;

const END_EVENT = "event: end\ndata: \n\n";

const encoder = new TextEncoder();

export interface SseSource {
  /** JSON texts, one per chunk. */
  chunks: AsyncIterable<string>;
  /** Stops the producer (client gone). */
  cancel(): void;
  /** Names the request in the message of an unexpected failure. */
  requestId?: string;
  /** Told once the stream is over, however it ended (`cause`: what was thrown, for the log). */
  onEnd?(outcome: StreamOutcome): void;
}

export interface StreamOutcome {
  chunks: number;
  canceled: boolean;
  error?: RuntimeError;
  cause?: unknown;
}

/**
 * Answers with the stream. The first chunk is awaited before answering, so a call
 * that fails at once (bad input, bad config) gets a plain error response with its status.
 */
export async function respondSse(c: Context, source: SseSource): Promise<Response> {
  const iterator = source.chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  let count = 0;
  let over = false;
  const finish = (outcome: Omit<StreamOutcome, "chunks">): void => {
    if (over) return;
    over = true;
    source.onEnd?.({ chunks: count, ...outcome });
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (first.done === true) {
          controller.enqueue(encoder.encode(END_EVENT));
          controller.close();
          finish({ canceled: false });
          return;
        }
        count++;
        controller.enqueue(encoder.encode(event(dataBody(first.value))));
      },
      async pull(controller) {
        if (over) return;
        try {
          const next = await iterator.next();
          if (over) return;
          if (next.done === true) {
            controller.enqueue(encoder.encode(END_EVENT));
            controller.close();
            finish({ canceled: false });
            return;
          }
          count++;
          controller.enqueue(encoder.encode(event(dataBody(next.value))));
        } catch (err) {
          if (over) return;
          const { error } = toClientError(err, source.requestId);
          controller.enqueue(encoder.encode(event(errorBody(error)) + END_EVENT));
          controller.close();
          finish({ error, cause: err, canceled: false });
        }
      },
      cancel() {
        if (over) return;
        finish({ canceled: true });
        source.cancel();
        void iterator.return?.()?.catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return c.body(body, 200, SSE_HEADERS);
}

function event(json: string): string {
  return "data: " + json + "\n\n";
}

/** A single result as a one-chunk stream (`stream: true` on a tool that does not stream). */
export function singleChunk(json: string): AsyncIterable<string> {
  return {
    async *[Symbol.asyncIterator]() {
      yield json;
    },
  };
}
