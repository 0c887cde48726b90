// The assignment function of version channels: a 90/10 split lands within ±3 % over
// 1000 tenants, each tenant always gets the same version, a tenant on the new version
// stays there as its weight grows, and pins win.
import { describe, expect, it } from "vitest";
import { assignVersion, assignmentPoint, weightsSumTo100 } from "../../../host/tenancy/index.ts";

const tenants = Array.from({ length: 1000 }, (_, i) => `tenant-${i}`);
const rollout = (newWeight: number) => ({ versions: [{ version: "1.0.0", weight: 100 - newWeight }, { version: "2.0.0", weight: newWeight }], pins: {} });

describe("assignVersion", () => {
  it("splits 1000 tenants 90/10 within ±3 %", () => {
    const onNew = tenants.filter((t) => assignVersion(t, "pkg", "stable", rollout(10)) === "2.0.0").length;
    expect(onNew).toBeGreaterThanOrEqual(70);
    expect(onNew).toBeLessThanOrEqual(130);
  });

  it("splits 50/50 and 1/99 within ±3 % too, and another channel or package splits independently", () => {
    const share = (pkg: string, channel: string, w: number) => tenants.filter((t) => assignVersion(t, pkg, channel, rollout(w)) === "2.0.0").length;
    expect(Math.abs(share("pkg", "stable", 50) - 500)).toBeLessThanOrEqual(30);
    expect(Math.abs(share("pkg", "stable", 99) - 990)).toBeLessThanOrEqual(30);
    const a = new Set(tenants.filter((t) => assignVersion(t, "pkg", "stable", rollout(10)) === "2.0.0"));
    const b = tenants.filter((t) => assignVersion(t, "other", "stable", rollout(10)) === "2.0.0");
    expect(b.filter((t) => a.has(t)).length).toBeLessThan(b.length);
  });

  it("is stable: the same tenant gets the same version on every call", () => {
    for (const t of tenants.slice(0, 100)) {
      const first = assignVersion(t, "pkg", "stable", rollout(10));
      for (let i = 0; i < 5; i++) expect(assignVersion(t, "pkg", "stable", rollout(10))).toBe(first);
    }
    expect(assignmentPoint("acme", "pkg", "stable")).toBe(assignmentPoint("acme", "pkg", "stable"));
  });

  it("keeps a tenant on the new version as its weight grows (10 → 50 → 100)", () => {
    for (const t of tenants) {
      if (assignVersion(t, "pkg", "stable", rollout(10)) === "2.0.0") expect(assignVersion(t, "pkg", "stable", rollout(50))).toBe("2.0.0");
      if (assignVersion(t, "pkg", "stable", rollout(50)) === "2.0.0") expect(assignVersion(t, "pkg", "stable", rollout(100))).toBe("2.0.0");
    }
    expect(tenants.every((t) => assignVersion(t, "pkg", "stable", rollout(0)) === "1.0.0")).toBe(true);
  });

  it("serves a pinned tenant its pin, whatever the weights", () => {
    const onOld = tenants.find((t) => assignVersion(t, "pkg", "stable", rollout(10)) === "1.0.0") ?? "";
    expect(assignVersion(onOld, "pkg", "stable", { ...rollout(10), pins: { [onOld]: "2.0.0" } })).toBe("2.0.0");
    expect(assignVersion(onOld, "pkg", "stable", { ...rollout(100), pins: { [onOld]: "1.0.0" } })).toBe("1.0.0");
  });
});

describe("weightsSumTo100", () => {
  it("accepts 100 (decimals included) and refuses anything else", () => {
    expect(weightsSumTo100([{ version: "a", weight: 90 }, { version: "b", weight: 10 }])).toBe(true);
    expect(weightsSumTo100([{ version: "a", weight: 33.3 }, { version: "b", weight: 33.3 }, { version: "c", weight: 33.4 }])).toBe(true);
    expect(weightsSumTo100([{ version: "a", weight: 90 }])).toBe(false);
    expect(weightsSumTo100([{ version: "a", weight: 60 }, { version: "b", weight: 50 }])).toBe(false);
  });
});
