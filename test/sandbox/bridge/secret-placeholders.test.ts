// The call's secrets: minting placeholders into cfg, putting the real values back in
// an outgoing request in the form each place needs, scrubbing them out of what comes
// back (also when a value straddles two body chunks), and HMAC keys.
import { describe, expect, it } from "vitest";
import { CallSecrets, PLACEHOLDER_PREFIX } from "../../../sandbox/bridge/secret-placeholders.ts";

const schema = {
  type: "object",
  properties: {
    key: { type: "string", minLength: 3, "x-hiagent-secret": true },
    long: { type: "string", minLength: 50, "x-hiagent-secret": true },
    raw: { type: "string", "x-hiagent-secret": true, "x-hiagent-secret-exposed": true },
    nested: { type: "object", properties: { token: { anyOf: [{ type: "string", "x-hiagent-secret": true }, { type: "null" }] } } },
    region: { type: "string" },
  },
};
const REAL = 'k/e+y"&1234';

function minted(cfg: object) {
  return CallSecrets.mint(JSON.stringify(cfg), schema, "InvalidConfig");
}

describe("CallSecrets.mint", () => {
  it("replaces each non-exposed secret string by a fresh placeholder and keeps the real values", () => {
    const { cfgJson, secrets } = minted({ key: REAL, long: "x".repeat(60), raw: "shown", nested: { token: "tok-12345678" }, region: "eu" });
    const cfg = JSON.parse(cfgJson) as { key: string; long: string; raw: string; nested: { token: string }; region: string };
    expect(cfg.key.startsWith(PLACEHOLDER_PREFIX)).toBe(true);
    expect(cfg.key).toHaveLength(36);
    expect(cfg.long).toHaveLength(50);
    expect(cfg.nested.token.startsWith(PLACEHOLDER_PREFIX)).toBe(true);
    expect(cfg.raw).toBe("shown");
    expect(cfg.region).toBe("eu");
    expect(secrets.pairs.map(([, v]) => v).sort()).toEqual([REAL, "tok-12345678", "x".repeat(60)].sort());
    expect(minted({ key: REAL }).cfgJson).not.toBe(minted({ key: REAL }).cfgJson);
  });

  it("finds secrets in maps, arrays and $refs, by the value's shape", () => {
    const mapped = {
      type: "object",
      properties: { keys: { type: "object", additionalProperties: { type: "string", "x-hiagent-secret": true } }, list: { type: "array", items: { $ref: "#/$defs/k" } } },
      $defs: { k: { type: "string", "x-hiagent-secret": true } },
    };
    const { cfgJson, secrets } = CallSecrets.mint(JSON.stringify({ keys: { a: "value-a-1", b: "value-b-1" }, list: ["value-c-1"] }), mapped, "InvalidConfig");
    const cfg = JSON.parse(cfgJson) as { keys: Record<string, string>; list: string[] };
    expect([cfg.keys.a, cfg.keys.b, cfg.list[0]].every((v) => v?.startsWith(PLACEHOLDER_PREFIX))).toBe(true);
    expect(secrets.pairs.map(([, v]) => v)).toEqual(["value-a-1", "value-b-1", "value-c-1"]);
  });

  it("refuses a value outside the field's limits without showing it, and leaves non-strings to the plugin's schema", () => {
    expect(() => minted({ key: "ab" })).toThrow(expect.objectContaining({ code: "InvalidConfig", message: expect.stringMatching(/key: too short, expected at least 3/) }));
    expect(() => CallSecrets.mint('{"key":"ab"}', schema, "PluginInvalidConfig")).toThrow(expect.objectContaining({ code: "PluginInvalidConfig" }));
    expect(minted({ key: 12345 }).cfgJson).toBe('{"key":12345}');
    expect(minted({}).secrets.size).toBe(0);
  });
});

describe("substitute and scrub", () => {
  const { cfgJson, secrets } = minted({ key: REAL });
  const p = (JSON.parse(cfgJson) as { key: string }).key;

  it("writes the value raw in headers, percent-encoded in the URL, and as its body's content type reads it", () => {
    const json = secrets.substitute({ url: `https://api.example.com/x?k=${p}`, headers: [["authorization", `Bearer ${p}`], ["content-type", "application/json"]], body: JSON.stringify({ k: p }) });
    expect(new URL(json.url).searchParams.get("k")).toBe(REAL);
    expect(json.headers[0]).toEqual(["authorization", `Bearer ${REAL}`]);
    expect(JSON.parse(Buffer.from(json.body!, "latin1").toString("utf8"))).toEqual({ k: REAL });
    const form = secrets.substitute({ url: "https://a.example", headers: [["content-type", "application/x-www-form-urlencoded"]], body: `k=${p}&x=1` });
    expect(new URLSearchParams(form.body!).get("k")).toBe(REAL);
    expect(secrets.appearsIn({ url: "https://a.example", headers: [], body: "nothing" })).toBe(false);
  });

  it("scrubs every form back to the placeholder, also across chunk boundaries", () => {
    expect(secrets.scrub(`a ${REAL} b ${encodeURIComponent(REAL)} c ${JSON.stringify(REAL)}`)).toBe(`a ${p} b ${p} c "${p}"`);
    const whole = Buffer.from(`start ${REAL} middle ${REAL} end`);
    for (let cut = 1; cut < whole.length; cut++) {
      const first = secrets.scrubBytes(whole.subarray(0, cut), false);
      const second = secrets.scrubBytes(Buffer.concat([first.rest, whole.subarray(cut)]), true);
      expect(Buffer.concat([first.out, second.out]).toString()).toBe(`start ${p} middle ${p} end`);
    }
  });

  it("takes the real value out of an error's message and data", () => {
    const err = secrets.scrubError(Object.assign(new Error("x"), {}));
    expect(err.code).toBe("Internal");
    const denied = secrets.scrubError(new (class extends Error {})(`fetch https://a/?k=${encodeURIComponent(REAL)} refused`));
    expect(denied.message).toBe(`fetch https://a/?k=${p} refused`);
  });

  it("puts the real value into HMAC key bytes that hold a placeholder, and leaves other keys alone", () => {
    expect(secrets.keyBytes(Buffer.from(p)).toString()).toBe(REAL);
    expect(secrets.keyBytes(Buffer.from(`123\n${p}`)).toString()).toBe(`123\n${REAL}`);
    expect(secrets.keyBytes(Buffer.from("plain")).toString()).toBe("plain");
    expect(secrets.keyBytes(Buffer.from([0xff, 0xfe])).equals(Buffer.from([0xff, 0xfe]))).toBe(true);
  });
});
