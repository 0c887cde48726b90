// Request and response shapes of the /v1 API (SPEC §5) as zod schemas: requests are
// validated with them and /openapi.json is generated from them, so the two never drift.
// Field names and defaults follow the HiAgent runtime, so its clients work unchanged.
import { z } from "@hono/zod-openapi";
import { ERROR_CODES, type ErrorCode } from "../../sandbox/errors.ts";
import { TENANT_PATTERN } from "../auth/index.ts";
import { JobStatusSchema } from "../jobs/index.ts";
import { CHANNEL_PATTERN, DURATION_HINT, toDuration, weightsSumTo100 } from "../tenancy/index.ts";

const name = z.string().min(1);
const jsonObject = z.record(z.string(), z.unknown());
const jsonSchema = z.unknown().openapi({ description: "A JSON Schema (from the plugin's zod schema)" });
const labels = z.record(z.string(), z.string());

// ---- metadata -------------------------------------------------------------------

export const ToolAnnotationsSchema = z
  .object({
    readOnlyHint: z.boolean().optional(),
    destructiveHint: z.boolean().optional(),
    idempotentHint: z.boolean().optional(),
    openWorldHint: z.boolean().optional(),
  })
  .openapi("ToolAnnotations", { description: "Hints about what the tool does (MCP tool annotations); never enforced" });

export const ToolMetaSchema = z
  .object({
    name: z.string(),
    title: z.string().optional().openapi({ description: "A display name, when the tool sets one" }),
    description: z.string(),
    annotations: ToolAnnotationsSchema.optional(),
    labels,
    input_schema: jsonSchema,
    output_schema: jsonSchema,
    stream: z.boolean(),
  })
  .openapi("ToolMeta");

export const PluginMetaSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    category: z.string(),
    labels,
    icon: z.string(),
    config_required: z.boolean(),
    config_schema: jsonSchema,
    tools: z.record(z.string(), ToolMetaSchema),
  })
  .openapi("PluginMeta");

export const PackageMetaSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    uri: z.string(),
    filename: z.string(),
    permissions: z
      .object({ fetch: z.array(z.string()).openapi({ description: "Origins the package may fetch (`hiagent.permissions.fetch`); empty: no network" }) })
      .optional(),
    plugins: z.array(PluginMetaSchema),
    broken: z
      .string()
      .optional()
      .openapi({ description: "Present when this node refuses to load the version: its artifacts failed verification (reinstall it)" }),
  })
  .openapi("PackageMeta");

export const PackageSummarySchema = z
  .object({
    name: z.string(),
    version: z.string(),
    uri: z.string(),
    filename: z.string(),
    plugins: z.array(z.string()).openapi({ description: "Plugin names" }),
  })
  .openapi("PackageSummary");

export type PackageMeta = z.infer<typeof PackageMetaSchema>;
export type PackageSummary = z.infer<typeof PackageSummarySchema>;

// ---- requests -------------------------------------------------------------------

const packageSource = {
  uri: z.string().min(1).openapi({ description: "file://, http(s):// or s3://bucket/key of the package zip", example: "file://examples/dist/hiagent_plugin_bingsearch-0.2.1.zip" }),
  filename: z.string().optional().openapi({ description: "A display name only, never a path (default: the URI's last segment)" }),
};

export const InstallPackageBody = z.strictObject({ ...packageSource, force: z.boolean().default(true) }).openapi("InstallPackageRequest");
export const InstallPackageAsyncBody = z.strictObject({ ...packageSource, force: z.boolean().default(false) }).openapi("InstallPackageAsyncRequest");
export const ReadPackageMetadataBody = z.strictObject(packageSource).openapi("ReadPackageMetadataRequest");
export const JobIdBody = z.strictObject({ job_id: z.string() }).openapi("JobIdRequest");
export const PackageVersionBody = z.strictObject({ pkg: name, version: name }).openapi("PackageVersionRequest");
export const EmptyBody = z.strictObject({}).openapi("EmptyRequest");

const versionOrChannel = name.optional().openapi({
  description: "A version (`1.2.0`), a channel name (`stable`), or absent for the `latest` channel (the highest installed version unless set)",
});

export const RunPluginToolBody = z
  .strictObject({
    pkg: name,
    version: versionOrChannel,
    plugin: name,
    tool: name,
    input: jsonObject.default({}),
    cfg: jsonObject.nullable().default(null),
    stream: z.boolean().default(false).openapi({ description: "Answer as server-sent events, one per chunk" }),
  })
  .openapi("RunPluginToolRequest");

export const RunPluginValidateBody = z
  .strictObject({ pkg: name, version: versionOrChannel, plugin: name, cfg: jsonObject.nullable().default(null) })
  .openapi("RunPluginValidateRequest");

export const AdapterQuery = z.strictObject({ pkg: name, version: versionOrChannel, plugin: name, tool: name });
export const AdapterHeaders = z.object({
  cfg: z.string().optional().openapi({ description: "The plugin config as JSON text", example: '{"api_key":"..."}' }),
});
export const AdapterBody = z
  .looseObject({ stream: z.boolean().default(false).openapi({ description: "Taken out of the input: answer as server-sent events" }) })
  .openapi("AdapterToolInput", { description: "The tool's input, plus `stream`" });

// ---- tenancy: channels and usage ----------------------------------------------------

const duration = z.string({ error: DURATION_HINT }).openapi({ description: "A duration: 30s, 1m, 1h, 1d", example: "1h" }).transform(toDuration);
const channelName = z.string().regex(CHANNEL_PATTERN, "must be a channel name: a lowercase letter, then letters, digits, - or _ (at most 64)");
const tenantName = z.string().regex(TENANT_PATTERN, "must be a tenant name: letters, digits, ., _ or - (at most 64, starting with a letter or digit)");

const weightedVersion = z.strictObject({ version: name, weight: z.number().min(0).max(100) });

export const SetChannelBody = z
  .strictObject({
    pkg: name,
    channel: channelName,
    versions: z
      .array(weightedVersion)
      .min(1)
      .refine(weightsSumTo100, "the weights must sum to 100")
      .refine((vs) => new Set(vs.map((v) => v.version)).size === vs.length, "a version is listed twice")
      .openapi({ description: "Versions and their share of tenants in percent; list them in the same order through a rollout so tenants on a new version stay on it" }),
    pins: z.record(tenantName, name).default({}).openapi({ description: "Tenants that always get one version, whatever the weights" }),
    auto_rollback: z
      .strictObject({
        max_error_rate: z.number().min(0).max(1),
        window: duration,
        min_calls: z.number().int().min(1).default(20),
      })
      .optional()
      .openapi({ description: "Roll back when the versions new to this assignment fail more than max_error_rate of at least min_calls calls within window" }),
  })
  .openapi("SetChannelRequest");

export const ChannelBody = z.strictObject({ pkg: name, channel: channelName }).openapi("ChannelRequest");
export const GetChannelsBody = z.strictObject({ pkg: name }).openapi("GetChannelsRequest");

const channelAssignment = { versions: z.array(weightedVersion), pins: z.record(z.string(), z.string()) };
export const ChannelData = z
  .object({
    channel: z.string(),
    ...channelAssignment,
    auto_rollback: z.object({ max_error_rate: z.number(), window: z.string(), min_calls: z.number() }).nullable(),
    set_at: z.string().nullable(),
    implicit: z.boolean().openapi({ description: "`latest` as nobody set it: the highest installed version" }),
    previous: z.object({ ...channelAssignment, set_at: z.string() }).nullable(),
  })
  .openapi("Channel");

export const GetUsageBody = z
  .strictObject({
    tenant: tenantName.optional().openapi({ description: "Whose usage: the caller's own when absent; another tenant's needs an admin token" }),
    window: duration,
  })
  .openapi("GetUsageRequest");

const usageAmounts = { calls: z.number(), cpu_ms: z.number(), egress_requests: z.number(), egress_bytes: z.number() };
export const UsageData = z
  .object({
    window: z.string(),
    since: z.string(),
    until: z.string(),
    tenant: z.string(),
    totals: z.object(usageAmounts),
    packages: z.array(
      z.object({ pkg: z.string(), version: z.string(), ...usageAmounts, tools: z.array(z.object({ plugin: z.string(), tool: z.string(), ...usageAmounts })) }),
    ),
    series: z.array(z.object({ start: z.string(), calls: z.number(), cpu_ms: z.number() })).openapi({ description: "Equal buckets over the window, oldest first" }),
  })
  .openapi("Usage");
// ---- stored plugin configs --------------------------------------------------------

const tenantField = z
  .string()
  .regex(TENANT_PATTERN)
  .optional()
  .openapi({ description: "Whose configs: the caller's own tenant when absent; an admin may name any tenant" });

export const SetPluginConfigBody = z
  .strictObject({
    pkg: name,
    plugin: name,
    cfg: jsonObject.openapi({ description: "The plugin config, checked against the plugin's config schema and its validate" }),
    version: name.optional().openapi({ description: "The version (or channel) whose schema and validate check cfg, as a call naming it would run (default: the latest)" }),
    tenant: tenantField,
  })
  .openapi("SetPluginConfigRequest");

export const PluginConfigRefBody = z.strictObject({ pkg: name, plugin: name, tenant: tenantField }).openapi("PluginConfigRequest");

export const ListPluginConfigsBody = z
  .strictObject({ pkg: name.optional().openapi({ description: "Only this package's configs" }), tenant: tenantField })
  .openapi("ListPluginConfigsRequest");

export const PluginConfigData = z
  .object({
    tenant: z.string(),
    pkg: z.string(),
    plugin: z.string(),
    version: z.string().openapi({ description: "The version whose schema and validate accepted it" }),
    cfg: jsonObject.openapi({ description: 'The config, every field marked "x-hiagent-secret" replaced by "[redacted]"' }),
    updated_at: z.string(),
  })
  .openapi("PluginConfig");

export const DeletedData = z.object({ deleted: z.boolean().openapi({ description: "False when there was no stored config" }) }).openapi("Deleted");

// ---- tool schemas for the model APIs ------------------------------------------------

export const ExportToolSchemasBody = z
  .strictObject({
    format: z.enum(["openai", "anthropic", "mcp"]).openapi({ description: "OpenAI function tools, Anthropic tools, or MCP tool objects" }),
    strict: z.boolean().default(false).openapi({ description: "Rewrite each input schema into the API's strict subset (OpenAI, Anthropic)" }),
    pkg: name.optional().openapi({ description: "Only this package (its tools are then named as in /mcp/{pkg})" }),
    version: name.optional().openapi({ description: "The package's version or channel (default: the tenant's latest); needs pkg" }),
  })
  .refine((body) => body.version === undefined || body.pkg !== undefined, { message: "version needs pkg", path: ["version"] })
  .openapi("ExportToolSchemasRequest");

const schemaChange = z.object({
  path: z.string().openapi({ description: "JSON Pointer of the schema node" }),
  kind: z.enum(["dropped", "nullable", "closed"]),
  keyword: z.string().optional(),
  value: z.unknown().optional(),
});

export const ExportedToolSchemasData = z
  .object({
    format: z.enum(["openai", "anthropic", "mcp"]),
    strict: z.boolean(),
    tools: z.array(z.record(z.string(), z.unknown())).openapi({ description: "Each tool in the API's own shape" }),
    report: z.array(
      z.object({
        name: z.string(),
        pkg: z.string(),
        version: z.string(),
        plugin: z.string(),
        tool: z.string(),
        strict: z.boolean(),
        changes: z.array(schemaChange),
        note: z.string().optional(),
      }),
    ),
    skipped: z.array(z.object({ pkg: z.string(), version: z.string(), plugin: z.string(), tool: z.string(), reason: z.string() })),
  })
  .openapi("ExportedToolSchemas");

// ---- responses ------------------------------------------------------------------

export const JobIdData = z.object({ job_id: z.string() }).openapi("JobId");
export const JobStatusData = JobStatusSchema.openapi("JobStatus");

const componentState = z.enum(["ok", "degraded", "down"]);
export const HealthData = z
  .object({
    status: componentState,
    components: z.record(z.string(), z.looseObject({ state: componentState })),
  })
  .openapi("Health");

const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

export const ErrorEnvelope = z
  .object({
    data: z.null(),
    error: z.object({
      code: z.enum(ERROR_CODE_NAMES),
      message: z.string(),
      data: z.unknown().optional().openapi({ description: "Details, e.g. validation issue paths" }),
      http_code: z.number().int(),
    }),
  })
  .openapi("ErrorResponse");

export function dataEnvelope<T extends z.ZodType>(data: T): z.ZodObject<{ data: T; error: z.ZodNull }> {
  return z.object({ data, error: z.null() });
}
