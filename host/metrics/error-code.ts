// The error code a failure counts under: its RuntimeError code, Internal for anything else.
import { RuntimeError } from "../../sandbox/errors.ts";

export function errorCodeOf(err: unknown): string {
  return err instanceof RuntimeError ? err.code : "Internal";
}
