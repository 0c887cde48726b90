// Imported first by the sandbox child's entry: on an unsupported Node the child stops
// with one line on stderr (which the supervisor relays) before isolated-vm is loaded.
import { unsupportedNodeMessage } from "../engine.ts";

const refusal = unsupportedNodeMessage();
if (refusal) {
  process.stderr.write(`${refusal}\n`);
  process.exit(1);
}
