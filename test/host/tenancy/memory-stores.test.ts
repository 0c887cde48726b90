// The in-memory quota, usage and channel stores (a single node without Redis) against the conformance suites.
import { MemoryChannelStore, MemoryQuotaStore, MemoryUsageStore } from "../../../host/tenancy/index.ts";
import { channelStoreConformance, quotaStoreConformance, usageStoreConformance } from "./tenancy-store-conformance.ts";

quotaStoreConformance("memory", () => new MemoryQuotaStore());
usageStoreConformance("memory", () => new MemoryUsageStore(86_400_000));
channelStoreConformance("memory", () => new MemoryChannelStore());
