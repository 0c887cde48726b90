// `npm run token -- --tenant acme --role invoke`: mints a random bearer token, prints
// it once, and prints the `auth.tokens` entry (its SHA-256, tenant and role) to paste
// into config.yaml. The server only ever stores the digest, so a lost token is
// replaced, never recovered.
import "../supported-node.ts";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { isRole, ROLES } from "./roles.ts";
import { mintToken, TENANT_PATTERN } from "./token-registry.ts";

const USAGE = `usage: npm run token -- --tenant <name> --role <${ROLES.join("|")}>`;

export interface TokenCliOutput {
  out(text: string): void;
  err(text: string): void;
}

/** Runs the command; returns the exit code. */
export function runTokenCli(argv: readonly string[], io: TokenCliOutput, mint = mintToken): number {
  let values: { tenant?: string; role?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { tenant: { type: "string" }, role: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }));
  } catch (err) {
    io.err(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const { tenant, role } = values;
  if (tenant === undefined || !TENANT_PATTERN.test(tenant)) {
    io.err(`--tenant: letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit)\n${USAGE}\n`);
    return 2;
  }
  if (!isRole(role)) {
    io.err(`--role: one of ${ROLES.join(", ")}\n${USAGE}\n`);
    return 2;
  }
  const { token, sha256 } = mint();
  io.out(
    [
      `Bearer token for tenant ${tenant} (role ${role}). It is shown only this once; hand it to the client:`,
      "",
      `  ${token}`,
      "",
      "Add this entry under auth.tokens in config.yaml (the server keeps only the hash):",
      "",
      // Quoted: a digest or tenant such as 123e4 or "null" would otherwise read as YAML numbers or null.
      `  - { token_sha256: "${sha256}", tenant: "${tenant}", role: ${role} }`,
      "",
      "Clients send it as: Authorization: Bearer <token>",
      "",
    ].join("\n"),
  );
  return 0;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  process.exitCode = runTokenCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
}
