// The node's build gate: slots, the per-tenant cap and the staging budget.
import { describe, expect, it } from "vitest";
import { BuildGate } from "../../../host/package/build-gate.ts";
import { RuntimeError } from "../../../sandbox/errors.ts";

const codeOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof RuntimeError ? err.code : String(err);
  }
};

describe("BuildGate", () => {
  it("runs at most maxConcurrent builds; the next waits for a release", async () => {
    const gate = new BuildGate({ maxConcurrent: 2, tenantMax: 10, stagingMaxBytes: 1000 });
    const one = await gate.enter(undefined);
    await gate.enter(undefined);
    let third = false;
    const waiting = gate.enter(undefined).then((t) => {
      third = true;
      return t;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBe(false);
    one.release();
    await waiting;
    expect(third).toBe(true);
  });

  it("a tenant past tenantMax builds running or waiting is RateLimited at once; others are not", async () => {
    const gate = new BuildGate({ maxConcurrent: 1, tenantMax: 2, stagingMaxBytes: 1000 });
    const first = await gate.enter("a");
    const queued = gate.enter("a");
    await expect(gate.enter("a")).rejects.toMatchObject({ code: "RateLimited" });
    const other = gate.enter("b");
    first.release();
    (await queued).release();
    (await other).release();
    (await gate.enter("a")).release();
  });

  it("staging bytes across builds: past the budget RateLimited, one build alone past it InvalidPackage; released bytes count no more", async () => {
    const gate = new BuildGate({ maxConcurrent: 4, tenantMax: 4, stagingMaxBytes: 1000 });
    const a = await gate.enter("a");
    const b = await gate.enter("b");
    a.stage(600);
    expect(codeOf(() => b.stage(500))).toBe("RateLimited");
    expect(codeOf(() => a.stage(500))).toBe("InvalidPackage");
    a.release();
    b.release();
    const c = await gate.enter("c");
    expect(codeOf(() => c.stage(900))).toBeNull();
    c.release();
  });

  it("a wait given up by its signal frees the tenant's place", async () => {
    const gate = new BuildGate({ maxConcurrent: 1, tenantMax: 1, stagingMaxBytes: 1000 });
    const held = await gate.enter("x");
    const abort = new AbortController();
    const waiting = gate.enter("y", abort.signal);
    abort.abort(new Error("gone"));
    await expect(waiting).rejects.toThrow("gone");
    held.release();
    (await gate.enter("y")).release();
  });
});
