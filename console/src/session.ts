// Who the console is signed in as. The API has no "who am I" call, so the role is
// learnt by asking: any token that may list packages may invoke; one that may also list
// install jobs is an admin. An open server (no `auth`) answers both without a token.
import { ApiFailure, call, token } from "./api.ts";
import type { Role } from "./types.ts";

export type SignIn = { state: "signed-in"; role: Role; open: boolean } | { state: "needs-token"; message?: string };

export async function probeSession(): Promise<SignIn> {
  try {
    await call("ListPackages", {});
  } catch (err) {
    if (err instanceof ApiFailure && err.error.code === "Unauthorized") {
      const had = token.get() !== null;
      token.clear();
      return { state: "needs-token", ...(had ? { message: err.error.message } : {}) };
    }
    throw err;
  }
  const open = token.get() === null;
  try {
    await call("ListInstallJobs", { limit: 1 });
    return { state: "signed-in", role: "admin", open };
  } catch (err) {
    if (err instanceof ApiFailure && err.error.code === "Forbidden") return { state: "signed-in", role: "invoke", open };
    throw err;
  }
}
