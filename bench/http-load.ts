// Traffic from the benchmark process to a server in another process, on loopback only:
// autocannon for requests/s, a keep-alive undici pool for per-request latency,
// and an SSE reader for stream chunks/s. Every loop is bounded by a count or a duration.
import autocannon from "autocannon";
import { Pool } from "undici";
import { percentile, type LatencyStats } from "./bench-table.ts";

export interface Throughput {
  requestsPerSec: number;
  /** autocannon's latency percentiles (whole milliseconds). */
  p50ms: number;
  p99ms: number;
  total: number;
  /** Connection errors, timeouts and non-2xx answers. */
  failures: number;
}

export async function loadWithAutocannon(url: string, body: string, opts: { connections: number; seconds: number; headers?: Record<string, string> }): Promise<Throughput> {
  const r = await autocannon({
    url,
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...opts.headers },
    connections: opts.connections,
    duration: opts.seconds,
  });
  return {
    requestsPerSec: r.requests.total / r.duration,
    p50ms: r.latency.p50,
    p99ms: r.latency.p99,
    total: r.requests.total,
    failures: r.errors + r.timeouts + r.non2xx,
  };
}

export interface PostLatency extends LatencyStats {
  failures: number;
}

export interface PostSamples {
  /** Latency of each request, µs, in completion order. */
  samples: number[];
  seconds: number;
  failures: number;
}

/** `total` POSTs over `concurrency` keep-alive connections; latency of each in µs. */
export async function postSamples(origin: string, path: string, body: string, total: number, concurrency = 1): Promise<PostSamples> {
  const pool = new Pool(origin, { pipelining: 1, connections: concurrency });
  const samples: number[] = [];
  let failures = 0;
  let left = total;
  const started = process.hrtime.bigint();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) {
          const t = process.hrtime.bigint();
          const res = await pool.request({ path, method: "POST", headers: { "content-type": "application/json" }, body });
          await res.body.text();
          samples.push(Number(process.hrtime.bigint() - t) / 1e3);
          if (res.statusCode !== 200) failures++;
        }
      }),
    );
    return { samples, seconds: Number(process.hrtime.bigint() - started) / 1e9, failures };
  } finally {
    await pool.close();
  }
}

export function latencyStats(samples: number[], seconds: number): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), perSecond: samples.length / seconds };
}

/** `total` POSTs over `concurrency` keep-alive connections: p50/p99 µs and requests/s. */
export async function postLatency(origin: string, path: string, body: string, total: number, concurrency = 1): Promise<PostLatency> {
  const r = await postSamples(origin, path, body, total, concurrency);
  return { ...latencyStats(r.samples, r.seconds), failures: r.failures };
}

export interface SseRun {
  chunks: number;
  seconds: number;
  chunksPerSec: number;
}

/** Opens `streams` SSE calls at once and reads each to its `end` event, counting data events. */
export async function readSseStreams(origin: string, path: string, body: string, streams: number): Promise<SseRun> {
  const client = new Pool(origin, { pipelining: 1, connections: streams });
  const started = process.hrtime.bigint();
  try {
    const counts = await Promise.all(
      Array.from({ length: streams }, async () => {
        const res = await client.request({ path, method: "POST", headers: { "content-type": "application/json" }, body });
        if (res.statusCode !== 200) throw new Error(`SSE call answered ${res.statusCode}: ${await res.body.text()}`);
        let chunks = 0;
        let tail = "";
        for await (const part of res.body) {
          const events = (tail + (part as Buffer).toString("utf8")).split("\n\n");
          tail = events.pop() ?? "";
          for (const e of events) {
            if (e.startsWith("event: end")) return chunks;
            if (e.includes('"error":{')) throw new Error(`stream failed: ${e.slice(0, 200)}`);
            if (e.startsWith("data: ")) chunks++;
          }
        }
        throw new Error("stream ended without its end event");
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const chunks = counts.reduce((a, b) => a + b, 0);
    return { chunks, seconds, chunksPerSec: chunks / seconds };
  } finally {
    await client.close();
  }
}
