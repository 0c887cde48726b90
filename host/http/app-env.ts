// What each request carries through the Hono app, for handlers and the access log.
import type { RequestIdVariables } from "hono/request-id";
import type { RuntimeError } from "../../sandbox/errors.ts";
import type { CallUsage } from "../../sandbox/sandbox-api.ts";
import type { ServedLabel } from "../tools/index.ts";

export interface AppEnv {
  Variables: RequestIdVariables & {
    /** The /v1 operation being served, for logs. */
    operation?: string;
    /** The error answered, for logs. */
    error?: RuntimeError;
    /** The resource receipt of a tool call, for logs. */
    usage?: CallUsage;
    /** The version (and channel) that served a tool call, for logs. */
    served?: ServedLabel;
  };
}
