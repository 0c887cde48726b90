// The engine the sandbox is supported on, said once: every entry point (server, worker,
// CLI, sandbox child, test setup) refuses an older Node with the same one line, because
// an unsupported V8 is the one thing no other layer of the sandbox can make up for.
export const MIN_NODE_MAJOR = 24;

/** One line saying why this Node cannot run the sandbox, or null when it can. */
export function unsupportedNodeMessage(version: string = process.versions.node): string | null {
  const major = Number(version.split(".")[0]);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return null;
  return (
    `Node ${version} is not supported: the plugin sandbox needs Node ${MIN_NODE_MAJOR} LTS or newer ` +
    `(run it through npm, which puts the project's own Node ${MIN_NODE_MAJOR} from node_modules/.bin first)`
  );
}
