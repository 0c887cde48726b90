// Tenancy beyond isolation: quotas and usage per tenant (TenantMeter) and versions
// rolled out through channels (VersionChannels), each with an in-memory and a Redis
// store. The Redis stores (redis-*.ts) are imported by path where they are needed, so
// the embedded defaults never load the Redis clients.
export { DurationSchema, DURATION_HINT, parseDuration, toDuration, type Duration } from "./duration.ts";
export { TenantsConfigSchema, tenantLimits, usageRetentionMs, type Quotas, type TenantsConfig } from "./tenancy-config.ts";
export { MemoryQuotaStore } from "./memory-quota-store.ts";
export type { QuotaStore } from "./quota-store.ts";
export { MemoryUsageStore } from "./memory-usage-store.ts";
export type { UsageStore } from "./usage-store.ts";
export { TenantMeter, type CallTicket } from "./tenant-meter.ts";
export type { UsageReport } from "./usage-report.ts";
export { assignVersion, assignmentPoint, CHANNEL_PATTERN, LATEST, weightsSumTo100, type Assignment, type WeightedVersion } from "./channel-model.ts";
export { MemoryChannelStore } from "./memory-channel-store.ts";
export type { ChannelStore } from "./channel-store.ts";
export { VersionChannels, isPluginFailure, type ChannelView, type ServedVersion, type SetChannelInput } from "./version-channels.ts";
