// Imported first by a sandbox child's entry (and by the escape tests' attacker scripts,
// so they run exactly as a child does): unless the wall is off, the whole seccomp filter
// goes on here, before any message is read and so before any plugin code runs.
import { OS_SANDBOX_BWRAP_ENV, OS_SANDBOX_ENV } from "./env.ts";
import { loadSeccompSelf } from "./seccomp-self.ts";

const mode = process.env[OS_SANDBOX_ENV];

/** null when the filter is in force, else why not. */
export const seccompStatus: string | null =
  mode === undefined || mode === "off" ? "os_sandbox is off" : loadSeccompSelf({ ringUse: process.env[OS_SANDBOX_BWRAP_ENV] === "1" });
