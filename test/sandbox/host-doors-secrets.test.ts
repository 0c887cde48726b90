// The host's doors keep a call's secrets: the call message a sandbox process gets has
// no real values in it, and the HMAC a process asks for is signed here, with the real
// value for a key that holds the call's placeholder.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FetchBridge } from "../../sandbox/bridge/fetch-bridge.ts";
import { forChild, HostDoors } from "../../sandbox/host-doors.ts";
import { FetchOptionsSchema } from "../../sandbox/options.ts";
import { PackageOrigins } from "../../sandbox/package-files.ts";
import type { ParentMessage } from "../../sandbox/protocol.ts";

const PLACEHOLDER = "hsp_abcdefghijklmnopqrstuvwxyz012345";
const call: ParentMessage = {
  t: "call",
  id: 7,
  kind: "tool",
  target: { tenant: "t", pkg: "p", version: "1.0.0", dir: "/nowhere", artifacts: {} },
  plugin: "P",
  tool: "x",
  inputJson: "{}",
  cfgJson: JSON.stringify({ key: PLACEHOLDER }),
  requestId: "r",
  secrets: [[PLACEHOLDER, "the-real-secret"]],
};
const latin1 = (text: string) => Buffer.from(text, "utf8").toString("latin1");

describe("host doors and a call's secrets", () => {
  it("the message for the child keeps the placeholders and drops the real values", () => {
    const sent = forChild(call);
    expect(JSON.stringify(sent)).not.toContain("the-real-secret");
    expect(sent).toMatchObject({ t: "call", id: 7, cfgJson: JSON.stringify({ key: PLACEHOLDER }) });
    expect("secrets" in sent).toBe(false);
  });

  it("signs a call's HMAC with the real value, and refuses a malformed request as ToolError", async () => {
    const replies: ParentMessage[] = [];
    const bridge = new FetchBridge(FetchOptionsSchema.parse({}));
    const doors = new HostDoors({ bridge, origins: new PackageOrigins() }, (m) => replies.push(m));
    try {
      doors.sent(call);
      doors.handle({ t: "sign", sid: 1, id: 7, payload: JSON.stringify({ hash: "SHA-256", key: latin1(PLACEHOLDER), data: "abc" }) });
      doors.handle({ t: "sign", sid: 2, id: 99, payload: JSON.stringify({ hash: "SHA-256", key: latin1(PLACEHOLDER), data: "abc" }) });
      doors.handle({ t: "sign", sid: 3, id: 7, payload: "{not json" });
      const mac = (key: string) => createHmac("sha256", key).update("abc").digest().toString("latin1");
      expect(replies).toEqual([
        { t: "signed", sid: 1, ok: true, payload: mac("the-real-secret") },
        // Another call's placeholder is just bytes to this one.
        { t: "signed", sid: 2, ok: true, payload: mac(PLACEHOLDER) },
        { t: "signed", sid: 3, ok: false, payload: JSON.stringify({ code: "ToolError", message: "malformed HMAC request" }) },
      ]);
      doors.callEnded(7);
      doors.handle({ t: "sign", sid: 4, id: 7, payload: JSON.stringify({ hash: "SHA-256", key: latin1(PLACEHOLDER), data: "abc" }) });
      expect(replies.at(-1)).toEqual({ t: "signed", sid: 4, ok: true, payload: mac(PLACEHOLDER) });
    } finally {
      doors.close();
      await bridge.close();
    }
  });
});
