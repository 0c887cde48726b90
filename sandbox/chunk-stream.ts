// The host end of a streaming call: chunks arrive from the sandbox process and wait
// here until the consumer pulls them; each pull returns credit to the producer, so
// at most `stream_high_water` chunks are ever buffered on the way.
import type { RuntimeError } from "./errors.ts";
import type { CallUsage, ToolStream } from "./sandbox-api.ts";

export class ChunkStream implements ToolStream {
  private readonly queue: string[] = [];
  private waiter: (() => void) | null = null;
  private error: RuntimeError | null = null;
  private ended = false;
  closed = false;
  private resolveUsage!: (u: CallUsage) => void;
  readonly usage: Promise<CallUsage>;

  constructor(private readonly hooks: { onConsumed(n: number): void; onCancel(): void }) {
    this.usage = new Promise((resolve) => {
      this.resolveUsage = resolve;
    });
  }

  push(json: string): void {
    if (this.closed) return;
    this.queue.push(json);
    this.wake();
  }

  end(usage: CallUsage): void {
    this.ended = true;
    this.resolveUsage(usage);
    this.wake();
  }

  fail(err: RuntimeError, usage: CallUsage): void {
    this.error = err;
    this.ended = true;
    this.resolveUsage(usage);
    this.wake();
  }

  cancel(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    if (!this.ended) this.hooks.onCancel();
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    try {
      for (;;) {
        const next = this.queue.shift();
        if (next !== undefined) {
          this.hooks.onConsumed(1);
          yield next;
          continue;
        }
        if (this.closed) return;
        if (this.ended) {
          if (this.error) throw this.error;
          return;
        }
        await new Promise<void>((resolve) => {
          this.waiter = resolve;
        });
      }
    } finally {
      // A consumer that stops iterating early has gone away: stop the tool.
      if (!this.ended) this.cancel();
      this.closed = true;
    }
  }
}
