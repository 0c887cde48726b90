// Coalesces the IPC messages sent in one tick into one write: under load this turns
// many small pipe writes (and wake-ups of the other process) into one.

export class MessageBatcher<M> {
  private queue: M[] = [];
  private scheduled = false;

  constructor(private readonly write: (batch: M[]) => void) {}

  send(msg: M): void {
    this.queue.push(msg);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.write(batch);
  }
}
