// The far end of the warm benchmark's IPC baseline: a child process that answers every
// message at once, batched per tick the way a sandbox process batches, with no isolate
// behind it. Its round trip is the floor under any call that crosses a process.
import { MessageBatcher } from "../../sandbox/message-batcher.ts";

interface Echo {
  id: number;
  json: string;
}

const outbox = new MessageBatcher<Echo>((batch) => {
  if (process.connected) process.send!(batch);
});

process.on("message", (batch) => {
  for (const msg of batch as Echo[]) outbox.send({ id: msg.id, json: msg.json });
});
process.on("disconnect", () => process.exit(0));
