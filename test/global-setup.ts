// Runs once before all suites. Shared fixtures are built here, once per run.
import { unsupportedNodeMessage } from "../sandbox/index.ts";

export async function setup(): Promise<void> {
  // The suites run on the engine the runtime supports, or not at all.
  const refusal = unsupportedNodeMessage();
  if (refusal) throw new Error(refusal);
}
export async function teardown(): Promise<void> {}
