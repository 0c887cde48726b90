// `npm run token`: prints a new token once and the config entry holding only its hash.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { hashToken, TOKEN_PREFIX, TokenRegistry } from "../../../host/auth/index.ts";
import { runTokenCli } from "../../../host/auth/token-cli.ts";
import { AuthConfigSchema } from "../../../host/config/config-schema.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

function runCli(args: string[]): { code: number; out: string; err: string } {
  let out = "";
  let err = "";
  const code = runTokenCli(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** The token and the YAML entry the command printed. */
function parseOutput(out: string): { token: string; entry: unknown } {
  const token = /^\s+(hiagent_\S+)$/m.exec(out)?.[1];
  const line = /^\s+(- \{ token_sha256: .*\})$/m.exec(out)?.[1];
  if (token === undefined || line === undefined) throw new Error(`unexpected output:\n${out}`);
  return { token, entry: (parseYaml(line) as unknown[])[0] };
}

describe("token CLI", () => {
  it("prints a token and a YAML entry that the config schema accepts and the registry matches", () => {
    const { code, out, err } = runCli(["--tenant", "acme", "--role", "invoke"]);
    expect(code).toBe(0);
    expect(err).toBe("");
    const { token, entry } = parseOutput(out);
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    const auth = AuthConfigSchema.parse({ tokens: [entry] });
    expect(auth.tokens[0]).toEqual({ token_sha256: hashToken(token), tenant: "acme", role: "invoke" });
    expect(new TokenRegistry(auth).authenticate(token)).toEqual({ tenant: "acme", role: "invoke" });
    // The token appears once; the config line holds only its hash.
    expect(out.split(token)).toHaveLength(2);
  });

  it("refuses a missing or malformed tenant, an unknown role and unknown flags (exit 2)", () => {
    for (const args of [["--role", "admin"], ["--tenant", "a b", "--role", "admin"], ["--tenant", "acme", "--role", "root"], ["--tenant", "acme"], ["--nope"]]) {
      const { code, out, err } = runCli(args);
      expect(code, args.join(" ")).toBe(2);
      expect(out).toBe("");
      expect(err).toMatch(/usage: npm run token/);
    }
  });

  it("runs as `npm run token -- --tenant acme --role admin`", async () => {
    const { stdout } = await promisify(execFile)("npm", ["run", "--silent", "token", "--", "--tenant", "acme", "--role", "admin"], { cwd: ROOT });
    const { entry } = parseOutput(stdout);
    expect(entry).toMatchObject({ tenant: "acme", role: "admin" });
  });
});
