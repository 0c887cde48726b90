// The install job model (SPEC §5), as zod schemas: the HTTP layer documents the same
// shapes it returns, and a Redis backend (de)serialises job records with them.
import { z } from "zod";

export const JobStateSchema = z.enum(["queued", "started", "finished", "failed", "canceled"]);

export const InstallStageSchema = z.enum(["download", "unpack", "bundle", "inspect", "precompile", "publish"]);

/** What an install asks for. `filename` is a display name only, never a path. */
export const InstallRequestSchema = z
  .object({
    uri: z.string().min(1),
    filename: z.string(),
    force: z.boolean(),
  })
  .strict();

/** What a finished install reports (the `data` of its status). */
export const InstalledPackageSchema = z
  .object({ name: z.string(), version: z.string(), uri: z.string(), filename: z.string() })
  .strict();

/** A job's public status, as GetInstallPackageAsyncStatus returns it. */
export const JobStatusSchema = z
  .object({
    job_id: z.string(),
    status: JobStateSchema,
    /** The error message of a failed (or canceled) job. */
    reason: z.string().optional(),
    /** The package a finished job installed. */
    data: InstalledPackageSchema.optional(),
    progress: z.number().int().min(0).max(100),
    stage: InstallStageSchema.optional(),
  })
  .strict();

export type JobState = z.infer<typeof JobStateSchema>;
export type InstallStage = z.infer<typeof InstallStageSchema>;
export type InstallRequest = z.infer<typeof InstallRequestSchema>;
export type InstalledPackage = z.infer<typeof InstalledPackageSchema>;
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(["finished", "failed", "canceled"]);

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.has(state);
}
