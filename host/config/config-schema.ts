// The config file's schema (SPEC §7): one strict zod schema with every default, parsed
// once at start. The `sandbox` section is the sandbox's own options schema, embedded.
import { z } from "zod";
import { SandboxOptionsSchema } from "../../sandbox/options.ts";
import { TenantsConfigSchema } from "../tenancy/tenancy-config.ts";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

const port = z.number().int().min(0).max(65535);

export const ServerConfigSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: port.default(8000),
    max_body_bytes: z.number().int().min(1).default(10 * 1024 * 1024),
  })
  .strict();

/** Absent = the embedded in-process queue; present = bee-queue workers on this Redis. */
export const RedisConfigSchema = z
  .object({
    cluster_type: z.enum(["single", "sentinel", "cluster"]).default("single"),
    /** One host, or "h1:p1,h2:p2" seeds for sentinel / cluster. */
    host: z.string().min(1).default("localhost"),
    port: port.default(6379),
    master_name: z.string().default(""),
    username: z.string().default(""),
    password: z.string().default(""),
    db: z.number().int().min(0).default(0),
    ssl: z.boolean().default(false),
    /** Key prefix, so deployments (and test runs) can share one Redis. */
    prefix: z.string().min(1).default("hiagent"),
  })
  .strict();

const LocalStorageSchema = z
  .object({
    backend: z.literal("local_path"),
    local_path: z
      .object({ base_dir: z.string().min(1).default("./data/storage") })
      .strict()
      .prefault({}),
  })
  .strict();

export const S3ConfigSchema = z
  .object({
    /** Omitted for AWS itself; MinIO and other S3-compatible servers need it. */
    endpoint: z.string().min(1).optional(),
    region: z.string().min(1).default("us-east-1"),
    bucket: z.string().min(1),
    access_key_id: z.string().default(""),
    secret_access_key: z.string().default(""),
    force_path_style: z.boolean().default(false),
    verify_tls: z.boolean().default(true),
    /** The endpoint clients outside the deployment use, when it differs from `endpoint`. */
    public_endpoint: z.string().min(1).optional(),
  })
  .strict();

const S3StorageSchema = z.object({ backend: z.literal("s3"), s3: S3ConfigSchema }).strict();

/** Keeps only the section `backend` selects (the others are ignored, SPEC §7). */
function selectStorageSection(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const section = value as Record<string, unknown>;
  const backend = section.backend ?? "local_path";
  if (backend !== "local_path" && backend !== "s3") return section;
  const selected: Record<string, unknown> = { backend };
  for (const [key, v] of Object.entries(section)) {
    if (key === "backend" || key === "local_path" || key === "s3") continue;
    selected[key] = v; // unknown keys stay, so the strict schema names them
  }
  if (section[backend] !== undefined) selected[backend] = section[backend];
  return selected;
}

export const StorageConfigSchema = z.preprocess(
  selectStorageSection,
  z.discriminatedUnion("backend", [LocalStorageSchema, S3StorageSchema], {
    error: (issue) =>
      issue.code === "invalid_union" ? 'must be "local_path" or "s3" (HiAgent\'s "minio" and "boto3" mean "s3")' : undefined,
  }),
);

export const PackageConfigSchema = z
  .object({
    max_package_bytes: z.number().int().min(1).default(50 * 1024 * 1024),
    /** Deadline of a whole http(s) package download, however slowly the bytes come. */
    download_timeout_ms: z.number().int().min(1).default(120_000),
    /** Folders `file://` installs may read from; a relative file:// URI is relative to the first. */
    file_roots: z.array(z.string().min(1)).default(["."]),
    /** Package builds (installs and ReadPackageMetadata) running at once on a node; more wait their turn. */
    max_concurrent_builds: z.number().int().min(1).default(2),
    /** Builds one tenant may have running or waiting on a node; past it RateLimited. */
    tenant_max_builds: z.number().int().min(1).default(2),
    /** Bytes all running builds together may unpack into staging; past it RateLimited (InvalidPackage for one build alone). */
    staging_max_bytes: z.number().int().min(1).default(1024 * 1024 * 1024),
    /** The longest one bundling may take; past it the bundler is restarted and the package is InvalidPackage. */
    bundle_timeout_ms: z.number().int().min(1).default(60_000),
    /** The bundler's (esbuild service's) resident memory cap while it builds; past it, as for the time cap. */
    bundler_max_memory_mb: z.number().int().min(64).default(1024),
    /** An npm-compatible registry for dependencies a package does not vendor. */
    index_url: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * The deployment key that authenticates built artifacts (hex or base64, ≥ 32 bytes);
     * every node and worker of a deployment needs the same one. Or `artifact_key_file`.
     * Neither: a key is generated on first start at `generated_key_file` (mode 0600).
     */
    artifact_key: z.string().optional(),
    artifact_key_file: z.string().min(1).optional(),
    generated_key_file: z.string().min(1).default("./data/artifact.key"),
  })
  .strict();

export const AuthConfigSchema = z
  .object({
    tokens: z
      .array(
        z
          .object({
            token_sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex digits (the SHA-256 of the token)"),
            tenant: z.string().min(1),
            role: z.enum(["admin", "invoke"]),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

/** The MCP endpoints (`/mcp`): which browser origins and Host names they answer. */
export const McpConfigSchema = z
  .object({
    /**
     * Hostnames (port-agnostic) a browser's `Origin` may name; any other Origin is refused
     * with 403. Requests without an Origin (non-browser clients) pass. Without `auth`,
     * loopback origins are allowed as well.
     */
    allowed_origins: z.array(z.string().min(1)).default([]),
    /**
     * Without `auth`: hostnames (port-agnostic) the `Host` header may name besides the
     * loopback names, so a DNS-rebinding page cannot reach a local runtime.
     */
    allowed_hosts: z.array(z.string().min(1)).default([]),
  })
  .strict();

/** The install job queue (embedded, or the Redis workers' concurrency). */
export const JobsConfigSchema = z
  .object({
    /** Installs that run at once on this node. */
    concurrency: z.number().int().min(1).max(32).default(2),
    /** Jobs waiting beyond this are refused with RateLimited. */
    max_queued: z.number().int().min(1).default(1000),
    /** How long a finished, failed or canceled job's status stays readable. */
    keep_finished_seconds: z.number().int().min(1).default(24 * 60 * 60),
    /** …and how many such jobs are kept at most (the oldest go first). */
    keep_finished_max: z.number().int().min(1).default(1000),
  })
  .strict();

/**
 * The deployment key that seals the secret fields of stored plugin configs: inline
 * (`key`, hex or base64, at least 32 bytes) or in a file (`key_file`, mode 0600).
 * With neither, a key is generated on first start at `generated_key_file`.
 */
export const SecretsConfigSchema = z
  .object({
    key: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    generated_key_file: z.string().min(1).default("./data/secrets.key"),
  })
  .strict();

/** Stored per-tenant plugin configs: in Redis when there is one, else in this file (mode 0600). */
export const PluginConfigsConfigSchema = z
  .object({
    file_path: z.string().min(1).default("./data/plugin-configs.json"),
  })
  .strict();

/**
 * `GET /metrics` (Prometheus text format). Who may scrape: an admin token, or a bearer
 * token whose SHA-256 is `token_sha256`; without `auth` and without `token_sha256`,
 * loopback callers only.
 */
export const MetricsConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** The SHA-256 (hex) of a scrape-only bearer token. */
    token_sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex digits (the SHA-256 of the token)").optional(),
    /** A `tenant` label on the per-tenant series: one series per tenant, so off by default. */
    tenant_labels: z.boolean().default(false),
  })
  .strict();

/** An install worker process (`npm run worker`). */
export const WorkerConfigSchema = z
  .object({
    /** Where the worker serves `GET /metrics` (0: any free port; absent: not served). */
    metrics_port: port.optional(),
    /** The address that port binds to. */
    metrics_host: z.string().min(1).default("127.0.0.1"),
  })
  .strict();

export const ConfigSchema = z
  .object({
    version: z.union([z.string(), z.number()]).transform(String).default("0.1.0"),
    log_level: z.enum(LOG_LEVELS).default("info"),
    server: ServerConfigSchema.prefault({}),
    extensions_dir: z.string().min(1).default("./extensions"),
    sandbox: SandboxOptionsSchema.prefault({}),
    redis: RedisConfigSchema.optional(),
    storage: StorageConfigSchema.prefault({ backend: "local_path" }),
    package: PackageConfigSchema.prefault({}),
    auth: AuthConfigSchema.optional(),
    jobs: JobsConfigSchema.prefault({}),
    mcp: McpConfigSchema.prefault({}),
    /** Quotas per tenant; `default` applies to every tenant not listed. */
    tenants: TenantsConfigSchema.default({}),
    secrets: SecretsConfigSchema.prefault({}),
    plugin_configs: PluginConfigsConfigSchema.prefault({}),
    metrics: MetricsConfigSchema.prefault({}),
    worker: WorkerConfigSchema.prefault({}),
  })
  .strict();

export type Config = z.output<typeof ConfigSchema>;
export type ServerConfig = Config["server"];
export type StorageConfig = Config["storage"];
export type JobsConfig = Config["jobs"];
export type McpConfig = Config["mcp"];
export type LogLevel = Config["log_level"];
export type SecretsConfig = Config["secrets"];
export type MetricsConfig = Config["metrics"];
export type WorkerConfig = Config["worker"];
