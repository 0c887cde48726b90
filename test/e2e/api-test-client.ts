// What the end-to-end tests need to talk to the API: envelope-typed calls, an SSE
// reader, and a poller for states that settle asynchronously.
import type { TestRuntime } from "../host/http/runtime-fixture.ts";

export interface Envelope<T = unknown> {
  data: T;
  error: { code: string; message: string; data?: unknown; http_code: number } | null;
}

export async function callApi<T = unknown>(
  rt: TestRuntime,
  operation: string,
  body: object | string,
  init?: RequestInit,
): Promise<{ status: number; body: Envelope<T> }> {
  const res = await rt.post(operation, body, init);
  return { status: res.status, body: (await res.json()) as Envelope<T> };
}

export interface SseEvent {
  event?: string;
  data: string;
}

export function parseSse(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const event: SseEvent = { data: "" };
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event.event = line.slice(7);
        if (line.startsWith("data: ")) event.data = line.slice(6);
      }
      return event;
    });
}

export async function until(test: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
