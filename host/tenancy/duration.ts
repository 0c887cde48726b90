// Durations as the operator writes them (`30s`, `1m`, `1h`, `1d`): quota windows,
// GetUsage windows and a channel's error-rate window. One schema, so every place that
// takes a duration accepts the same spellings and refuses the rest the same way.
import { z } from "zod";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^([1-9][0-9]{0,8})(ms|s|m|h|d)$/;

export const DURATION_HINT = "must be a duration such as 30s, 1m, 1h or 1d (a whole number and one of ms, s, m, h, d)";

/** Milliseconds of `text`, or null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text);
  if (match === null) return null;
  const unit = match[2] as keyof typeof UNIT_MS;
  return Number(match[1]) * UNIT_MS[unit];
}

export interface Duration {
  text: string;
  ms: number;
}

/** The transform from a duration's text, for string schemas built elsewhere (the API's, with OpenAPI metadata). */
export function toDuration(text: string, ctx: z.core.$RefinementCtx<string>): Duration {
  const ms = parseDuration(text);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: DURATION_HINT });
    return z.NEVER;
  }
  return { text, ms };
}

/** A duration string in, its milliseconds out (with the text kept for answers). */
export const DurationSchema = z.string({ error: DURATION_HINT }).transform(toDuration);
