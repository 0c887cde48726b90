// The one registry of a node's Prometheus metrics (prom-client) and the events that move
// them: HTTP requests, tool calls and their receipts, quota rejections, install jobs and
// their stages. Gauges of state that already has an owner (the sandbox processes, the
// install queue) are read from that owner at scrape time rather than mirrored.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CallUsage, EgressListener, EgressReport } from "../../sandbox/sandbox-api.ts";
import { BoundedLabel, codeLabel, UNKNOWN } from "./label-values.ts";
import { sandboxProcessStats } from "./process-stats.ts";

export interface MetricsOptions {
  /** Label the per-tenant series by tenant (`metrics.tenant_labels`). */
  tenantLabels: boolean;
  /** Adds the standard process_* and nodejs_* metrics of this process. */
  processMetrics?: boolean;
}

/** A tool call as the metrics see it: the resolved target, or nothing when it never resolved. */
export interface CallLabels {
  tenant: string;
  pkg?: string | undefined;
  version?: string | undefined;
  plugin?: string | undefined;
  tool?: string | undefined;
}

/** What a sandbox reports of its processes (Sandbox.health()) and of its plugins' fetches. */
export interface SandboxStatsSource {
  health(): { processes: { pid: number | null; warm_isolates: number; in_flight: number; restarts: number }[] };
  observeEgress(listener: EgressListener): void;
}

/** What an install queue reports of its depth (JobQueue.health()). */
export interface QueueStatsSource {
  health(): { queued: number; running: number };
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const CPU_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];
const BYTES = [1 << 20, 4 << 20, 16 << 20, 32 << 20, 64 << 20, 128 << 20, 256 << 20];
const FETCHES = [0, 1, 2, 5, 10, 25, 50];
const INSTALL_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

const ms = (n: number): number => n / 1000;

export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly #tenantLabels: boolean;
  readonly #label = {
    operation: new BoundedLabel(200),
    pkg: new BoundedLabel(500),
    version: new BoundedLabel(2000),
    plugin: new BoundedLabel(2000),
    tool: new BoundedLabel(5000),
    tenant: new BoundedLabel(1000),
    origin: new BoundedLabel(500),
  };

  readonly #httpRequests: Counter<"operation" | "code">;
  readonly #httpDuration: Histogram<"operation">;
  readonly #calls: Counter<"package" | "version" | "plugin" | "tool" | "outcome">;
  readonly #callDuration: Histogram<"package" | "plugin" | "tool">;
  readonly #callCpu: Histogram<"package" | "plugin" | "tool">;
  readonly #callHeap: Histogram<"package" | "plugin" | "tool">;
  readonly #callFetches: Histogram<"package" | "plugin" | "tool">;
  readonly #callFetchBytes: Counter<"package">;
  readonly #inFlight: Gauge;
  readonly #quotaRejections: Counter<string>;
  readonly #tenantCalls: Counter<"tenant"> | undefined;
  readonly #tenantCpu: Counter<"tenant"> | undefined;
  readonly #egress: Counter<"origin" | "outcome" | "reason">;
  readonly #egressBytes: Counter<"origin">;
  readonly #installs: Counter<"outcome">;
  readonly #installDuration: Histogram<"outcome">;
  readonly #installStage: Histogram<"stage">;

  constructor(options: MetricsOptions) {
    this.#tenantLabels = options.tenantLabels;
    const registers = [this.registry];
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.#httpRequests = new Counter({ name: "hiagent_http_requests_total", help: "HTTP and MCP requests answered, by operation and error code (ok for a success)", labelNames: ["operation", "code"], registers });
    this.#httpDuration = new Histogram({ name: "hiagent_http_request_duration_seconds", help: "Time to answer an HTTP request (to the end of the handler; a stream's body may run longer)", labelNames: ["operation"], buckets: SECONDS, registers });
    const callLabels = ["package", "plugin", "tool"] as const;
    this.#calls = new Counter({ name: "hiagent_tool_calls_total", help: "Tool calls, by package, version, plugin, tool and outcome (ok or the error code)", labelNames: ["package", "version", "plugin", "tool", "outcome"], registers });
    this.#callDuration = new Histogram({ name: "hiagent_tool_call_duration_seconds", help: "Wall time of a tool call in the sandbox", labelNames: callLabels, buckets: SECONDS, registers });
    this.#callCpu = new Histogram({ name: "hiagent_tool_call_cpu_ms", help: "CPU milliseconds of a tool call in its isolate", labelNames: callLabels, buckets: CPU_MS, registers });
    this.#callHeap = new Histogram({ name: "hiagent_tool_call_heap_peak_bytes", help: "Peak isolate heap during a tool call", labelNames: callLabels, buckets: BYTES, registers });
    this.#callFetches = new Histogram({ name: "hiagent_tool_call_fetches", help: "Outgoing fetches made by one tool call", labelNames: callLabels, buckets: FETCHES, registers });
    this.#callFetchBytes = new Counter({ name: "hiagent_tool_call_fetch_bytes_total", help: "Bytes of fetch responses read by tool calls", labelNames: ["package"], registers });
    this.#inFlight = new Gauge({ name: "hiagent_tool_calls_in_flight", help: "Tool calls started on this node and not yet finished", registers });
    this.#quotaRejections = new Counter({ name: "hiagent_quota_rejections_total", help: "Tool calls refused by a tenant quota (QuotaExceeded)", labelNames: this.#tenantLabels ? ["tenant"] : [], registers });
    if (this.#tenantLabels) {
      this.#tenantCalls = new Counter({ name: "hiagent_tenant_tool_calls_total", help: "Tool calls run, by tenant", labelNames: ["tenant"], registers });
      this.#tenantCpu = new Counter({ name: "hiagent_tenant_cpu_ms_total", help: "CPU milliseconds of tool calls, by tenant", labelNames: ["tenant"], registers });
    }
    this.#egress = new Counter({ name: "hiagent_egress_requests_total", help: "Plugin fetches, by destination origin and outcome (allowed, denied, failed) with the failure's code as reason", labelNames: ["origin", "outcome", "reason"], registers });
    this.#egressBytes = new Counter({ name: "hiagent_egress_response_bytes_total", help: "Response bytes plugins read, by origin", labelNames: ["origin"], registers });
    this.#installs = new Counter({ name: "hiagent_install_jobs_total", help: "Install jobs run on this node, by outcome (ok or the error code)", labelNames: ["outcome"], registers });
    this.#installDuration = new Histogram({ name: "hiagent_install_duration_seconds", help: "Time an install job ran, start to end", labelNames: ["outcome"], buckets: INSTALL_SECONDS, registers });
    this.#installStage = new Histogram({ name: "hiagent_install_stage_duration_seconds", help: "Time an install spent in each stage", labelNames: ["stage"], buckets: INSTALL_SECONDS, registers });
  }

  /** One answered request (the access log calls it). */
  httpRequest(operation: string | undefined, code: string | undefined, seconds: number): void {
    const op = this.#label.operation.value(operation);
    this.#httpRequests.inc({ operation: op, code: codeLabel(code) });
    this.#httpDuration.observe({ operation: op }, seconds);
  }

  /** A tool call has started in the sandbox; the returned function ends it. */
  callStarted(): () => void {
    this.#inFlight.inc();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#inFlight.dec();
    };
  }

  /** A tool call ended (or was refused): its outcome and, if it ran, its receipt. */
  toolCall(call: CallLabels, code: string | undefined, usage: CallUsage | undefined): void {
    const l = this.#label;
    const pkg = l.pkg.value(call.pkg);
    const labels = { package: pkg, plugin: pkg === UNKNOWN ? UNKNOWN : l.plugin.value(call.plugin), tool: pkg === UNKNOWN ? UNKNOWN : l.tool.value(call.tool) };
    const version = pkg === UNKNOWN ? UNKNOWN : l.version.value(call.version);
    this.#calls.inc({ ...labels, version, outcome: codeLabel(code) });
    if (code === "QuotaExceeded") this.#quotaRejections.inc(this.#tenantLabels ? { tenant: l.tenant.value(call.tenant) } : {});
    if (usage === undefined) return;
    this.#callDuration.observe(labels, ms(usage.wall_ms));
    this.#callCpu.observe(labels, usage.cpu_ms);
    this.#callHeap.observe(labels, usage.heap_peak_bytes);
    this.#callFetches.observe(labels, usage.fetch_count);
    if (usage.fetch_bytes > 0) this.#callFetchBytes.inc({ package: pkg }, usage.fetch_bytes);
    if (this.#tenantCalls !== undefined && this.#tenantCpu !== undefined) {
      const tenant = { tenant: l.tenant.value(call.tenant) };
      this.#tenantCalls.inc(tenant);
      this.#tenantCpu.inc(tenant, usage.cpu_ms);
    }
  }

  /**
   * One plugin fetch ended. A refused fetch's origin is whatever the plugin asked for, so
   * it never becomes a label: refusals count under `_denied`.
   */
  egress(report: EgressReport): void {
    const outcome = report.refused ? "denied" : report.code === undefined ? "allowed" : "failed";
    const origin = report.refused ? "_denied" : this.#label.origin.value(report.origin);
    const reason = report.code === undefined ? "" : codeLabel(report.code) === UNKNOWN ? "other" : report.code;
    this.#egress.inc({ origin, outcome, reason });
    if (report.bytes > 0) this.#egressBytes.inc({ origin }, report.bytes);
  }

  /** An install job ended on this node. */
  installJob(code: string | undefined, seconds: number): void {
    const outcome = codeLabel(code);
    this.#installs.inc({ outcome });
    this.#installDuration.observe({ outcome }, seconds);
  }

  installStage(stage: string, seconds: number): void {
    this.#installStage.observe({ stage }, seconds);
  }

  /** Reports the sandbox processes' state at each scrape. */
  watchSandbox(sandbox: SandboxStatsSource): void {
    sandbox.observeEgress((report) => this.egress(report));
    const registers = [this.registry];
    const processes = () => sandbox.health().processes.map((p, i) => ({ ...p, process: String(i) }));
    new Gauge({
      name: "hiagent_sandbox_warm_isolates",
      help: "Warm isolates held by each sandbox process",
      labelNames: ["process"],
      registers,
      collect() {
        for (const p of processes()) this.set({ process: p.process }, p.warm_isolates);
      },
    });
    new Gauge({
      name: "hiagent_sandbox_in_flight",
      help: "Calls running in each sandbox process",
      labelNames: ["process"],
      registers,
      collect() {
        for (const p of processes()) this.set({ process: p.process }, p.in_flight);
      },
    });
    new Counter({
      name: "hiagent_sandbox_restarts_total",
      help: "Times each sandbox process died and was restarted",
      labelNames: ["process"],
      registers,
      collect() {
        this.reset();
        for (const p of processes()) this.inc({ process: p.process }, p.restarts);
      },
    });
    new Gauge({
      name: "hiagent_sandbox_process_resident_memory_bytes",
      help: "Resident memory of each sandbox process",
      labelNames: ["process"],
      registers,
      async collect() {
        for (const p of processes()) {
          const s = await sandboxProcessStats(p.pid);
          if (s !== null) this.set({ process: p.process }, s.rssBytes);
        }
      },
    });
    new Counter({
      name: "hiagent_sandbox_process_cpu_seconds_total",
      help: "CPU time of each sandbox process since it (re)started",
      labelNames: ["process"],
      registers,
      async collect() {
        this.reset();
        for (const p of processes()) {
          const s = await sandboxProcessStats(p.pid);
          if (s !== null) this.inc({ process: p.process }, s.cpuSeconds);
        }
      },
    });
  }

  /** Reports the install queue's depth at each scrape. */
  watchQueue(queue: QueueStatsSource): void {
    new Gauge({
      name: "hiagent_install_queue_depth",
      help: "Install jobs waiting (queued) and running on the queue this node sees",
      labelNames: ["state"],
      registers: [this.registry],
      collect() {
        const h = queue.health();
        this.set({ state: "queued" }, h.queued);
        this.set({ state: "running" }, h.running);
      },
    });
  }

  /** The text a scrape answers. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
