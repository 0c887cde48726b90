// The shapes the console reads from the /v1 API (see /openapi.json).

export type JsonSchema = {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  "x-hiagent-secret"?: boolean;
};

export interface ToolMeta {
  name: string;
  description: string;
  labels: Record<string, string>;
  input_schema: JsonSchema;
  output_schema: JsonSchema;
  stream: boolean;
}

export interface PluginMeta {
  name: string;
  description: string;
  category: string;
  labels: Record<string, string>;
  icon: string;
  config_required: boolean;
  config_schema: JsonSchema | null;
  tools: Record<string, ToolMeta>;
}

export interface PackageMeta {
  name: string;
  version: string;
  uri: string;
  filename: string;
  permissions?: { fetch: string[] };
  plugins: PluginMeta[];
}

export type JobState = "queued" | "started" | "finished" | "failed" | "canceled";

export interface JobStatus {
  job_id: string;
  status: JobState;
  reason?: string;
  progress: number;
  stage?: string;
  data?: { name: string; version: string };
  filename?: string;
}

export type Role = "admin" | "invoke";

export interface UsageAnswer {
  window: string;
  since: string;
  until: string;
  tenant: string | null;
  totals: { calls: number; cpu_ms: number; egress_requests: number; egress_bytes: number };
  packages: { pkg: string; version: string; calls: number; cpu_ms: number; egress_requests: number; egress_bytes: number }[];
  series: { start: string; calls: number; cpu_ms: number }[];
}
