// Coalesces the IPC messages sent in one event-loop turn into one write: under load
// this turns many small pipe writes (and wake-ups of the other process) into one.
// Results settle in separate libuv callbacks, so a microtask flush would rarely
// combine them; setImmediate runs once the turn's callbacks are done.

export class MessageBatcher<M> {
  private queue: M[] = [];
  private scheduled = false;

  constructor(private readonly write: (batch: M[]) => void) {}

  send(msg: M): void {
    this.queue.push(msg);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.write(batch);
  }
}
