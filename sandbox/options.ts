// Options of the sandbox, as the `sandbox` section of config.yaml (SPEC §7).
// The host's config schema embeds this one, so there is one definition of each key.
import { z } from "zod";

export const FetchOptionsSchema = z
  .object({
    allow_private_network: z.boolean().default(false),
    allow_private_origins: z.array(z.string()).default([]),
    /** Operator overrides of the manifests' origin lists: extra origins every plugin may reach… */
    extra_origins: z.array(z.string()).default([]),
    /** …and origins no plugin may reach, whatever its manifest says. */
    deny_origins: z.array(z.string()).default([]),
    /**
     * Origins, beyond each manifest's own, where a plugin's secret placeholders are
     * replaced by the real values (a GitHub Enterprise host, a test upstream). An origin
     * only in extra_origins is reachable, but secrets stay placeholders there.
     */
    secret_origins: z.array(z.string()).default([]),
    max_requests: z.number().int().min(0).default(50),
    max_response_bytes: z.number().int().min(0).default(10 * 1024 * 1024),
    max_request_bytes: z.number().int().min(0).default(10 * 1024 * 1024),
    max_redirects: z.number().int().min(0).max(20).default(5),
    timeout_ms: z.number().int().min(1).default(15_000),
  })
  .strict();

/** Where the OS sandbox's tools are (bare names are looked up on PATH). */
export const OsSandboxToolsSchema = z
  .object({
    bwrap: z.string().min(1).default("bwrap"),
    setpriv: z.string().min(1).default("setpriv"),
    prlimit: z.string().min(1).default("prlimit"),
  })
  .strict();

export const SandboxOptionsSchema = z
  .object({
    processes: z.number().int().min(1).max(64).default(2),
    max_isolates: z.number().int().min(1).default(10),
    /**
     * Warm isolates one tenant may keep (absent: max_isolates, i.e. no cap of its own).
     * Split across processes like max_isolates; past it, the tenant's own least recently
     * used idle isolate goes first, so one tenant cannot evict everyone else's.
     */
    tenant_max_isolates: z.number().int().min(1).optional(),
    /**
     * Packages per sandbox process that keep one isolate with their bundle already
     * loaded (and no tenant yet), so the next tenant's first call skips the load.
     * Prepared when a package is installed and when a package has a second cold start
     * in a process; 0 turns them off.
     */
    package_spares: z.number().int().min(0).max(64).default(4),
    tenant_max_concurrent: z.number().int().min(1).default(32),
    tenant_max_queued: z.number().int().min(0).default(256),
    memory_limit_mb: z.number().int().min(8).max(4096).default(128),
    timeout_ms: z.number().int().min(1).default(30_000),
    /** Heap cap of each sandbox child process (its own JS, not the isolates'). */
    process_heap_mb: z.number().int().min(64).default(512),
    /** Largest JSON a call may return, a stream chunk may carry, or input/cfg may be. */
    max_payload_bytes: z.number().int().min(1024).default(10 * 1024 * 1024),
    /** console.* lines kept per call; the rest are counted and dropped. */
    max_log_lines: z.number().int().min(0).default(100),
    max_log_line_bytes: z.number().int().min(16).default(4096),
    /** Chunks a stream may have in flight before the plugin's generator waits. */
    stream_high_water: z.number().int().min(1).default(16),
    /**
     * Whether a package may mark a config field secret(schema, { exposed: true }) and
     * receive its raw value; false refuses to install or run such packages.
     */
    allow_exposed_secrets: z.boolean().default(true),
    fetch: FetchOptionsSchema.prefault({}),
    /**
     * The second wall around each sandbox child (Linux): namespaces, mount view, own uid,
     * rlimits, seccomp. `auto` uses every layer the machine allows and warns about the
     * rest; `required` refuses to start without all of them; `off` forks plain children.
     */
    os_sandbox: z.enum(["auto", "required", "off"]).default("auto"),
    os_sandbox_tools: OsSandboxToolsSchema.prefault({}),
  })
  .strict();

export type SandboxOptions = z.infer<typeof SandboxOptionsSchema>;
export type FetchOptions = z.infer<typeof FetchOptionsSchema>;
export type OsSandboxTools = z.infer<typeof OsSandboxToolsSchema>;
