// Request and response shapes of the /v1 API (SPEC §5) as zod schemas: requests are
// validated with them and /openapi.json is generated from them, so the two never drift.
// Field names and defaults follow the HiAgent runtime, so its clients work unchanged.
import { z } from "@hono/zod-openapi";
import { ERROR_CODES, type ErrorCode } from "../../sandbox/errors.ts";
import { JobStatusSchema } from "../jobs/index.ts";

const name = z.string().min(1);
const jsonObject = z.record(z.string(), z.unknown());
const jsonSchema = z.unknown().openapi({ description: "A JSON Schema (from the plugin's zod schema)" });
const labels = z.record(z.string(), z.string());

// ---- metadata -------------------------------------------------------------------

export const ToolMetaSchema = z
  .object({
    name: z.string(),
    description: z.string(),
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

export const RunPluginToolBody = z
  .strictObject({
    pkg: name,
    version: name,
    plugin: name,
    tool: name,
    input: jsonObject.default({}),
    cfg: jsonObject.nullable().default(null),
    stream: z.boolean().default(false).openapi({ description: "Answer as server-sent events, one per chunk" }),
  })
  .openapi("RunPluginToolRequest");

export const RunPluginValidateBody = z
  .strictObject({ pkg: name, version: name, plugin: name, cfg: jsonObject.nullable().default(null) })
  .openapi("RunPluginValidateRequest");

export const AdapterQuery = z.strictObject({ pkg: name, version: name, plugin: name, tool: name });
export const AdapterHeaders = z.object({
  cfg: z.string().optional().openapi({ description: "The plugin config as JSON text", example: '{"api_key":"..."}' }),
});
export const AdapterBody = z
  .looseObject({ stream: z.boolean().default(false).openapi({ description: "Taken out of the input: answer as server-sent events" }) })
  .openapi("AdapterToolInput", { description: "The tool's input, plus `stream`" });

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
