// Prometheus metrics: the node's registry, the scrape rules, a worker's scrape server.
export { RuntimeMetrics, type CallLabels, type MetricsOptions, type QueueStatsSource, type SandboxStatsSource } from "./runtime-metrics.ts";
export { ScrapeAccess, SCRAPE_CHALLENGE, type ScrapeRequest } from "./scrape-access.ts";
export { serveMetrics, type MetricsServer } from "./metrics-server.ts";
export { meteredInstallRunner } from "./metered-install.ts";
export { errorCodeOf } from "./error-code.ts";
export { OK, OTHER, UNKNOWN } from "./label-values.ts";
