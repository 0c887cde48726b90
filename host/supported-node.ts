// Imported first by every entry point: an unsupported Node stops here with one line,
// before anything else is loaded.
import { unsupportedNodeMessage } from "../sandbox/index.ts";

const refusal = unsupportedNodeMessage();
if (refusal) {
  process.stderr.write(`${refusal}\n`);
  process.exit(1);
}
