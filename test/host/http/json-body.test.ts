// Reading request bodies: JSON whatever the Content-Type, the size cap enforced
// while reading, and clear InvalidRequest errors.
import { describe, expect, it } from "vitest";
import { readJsonBody } from "../../../host/http/json-body.ts";
import { RuntimeError } from "../../../sandbox/errors.ts";

function post(body: string | Uint8Array | ReadableStream<Uint8Array> | null, headers: Record<string, string> = {}): Request {
  return new Request("http://localhost/v1/X", { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "resolved";
  } catch (err) {
    return err instanceof RuntimeError ? err.code : String(err);
  }
}

describe("readJsonBody", () => {
  it("parses JSON under any Content-Type, and an empty body as {}", async () => {
    expect(await readJsonBody(post('{"a": [1, "二"]}', { "content-type": "application/x-www-form-urlencoded" }), 100)).toEqual({ a: [1, "二"] });
    expect(await readJsonBody(post("\ufeff[1]"), 100)).toEqual([1]);
    expect(await readJsonBody(post(null), 100)).toEqual({});
    expect(await readJsonBody(post("  \n"), 100)).toEqual({});
  });

  it("refuses malformed JSON and invalid UTF-8 as InvalidRequest", async () => {
    expect(await codeOf(readJsonBody(post("{"), 100))).toBe("InvalidRequest");
    expect(await codeOf(readJsonBody(post(new Uint8Array([0x22, 0xc3, 0x22])), 100))).toBe("InvalidRequest");
  });

  it("refuses a declared length over the cap without reading the body", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(10));
      },
    });
    expect(await codeOf(readJsonBody(post(body, { "content-length": "1000" }), 100))).toBe("PayloadTooLarge");
    expect(pulled).toBeLessThanOrEqual(1);
  });

  it("stops reading an undeclared body as soon as it passes the cap", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64).fill(0x20));
      },
    });
    expect(await codeOf(readJsonBody(post(body), 1000))).toBe("PayloadTooLarge");
    expect(pulled).toBeLessThan(20);
  });
});
