// What a client sees of a failure: RuntimeErrors as they are, anything else as a
// bare Internal error that names the request and nothing of the host.
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { toClientError } from "../../../host/http/client-error.ts";
import { errorBody } from "../../../host/http/envelope.ts";
import { RuntimeError } from "../../../sandbox/errors.ts";

describe("toClientError", () => {
  it("passes RuntimeErrors through with their code, message and data", () => {
    const err = new RuntimeError("InvalidInput", "input.query: required", { data: { issues: [{ path: ["query"] }] } });
    expect(toClientError(err, "r1")).toEqual({ error: err, unexpected: false });
    expect(JSON.parse(errorBody(err))).toEqual({
      data: null,
      error: { code: "InvalidInput", message: "input.query: required", data: { issues: [{ path: ["query"] }] }, http_code: 422 },
    });
  });

  it("hides anything else behind Internal, naming the request only", () => {
    const leaky = new Error("ENOENT: no such file or directory, open '/srv/runtime/extensions/x/meta.json'");
    const { error, unexpected } = toClientError(leaky, "req-42");
    expect(unexpected).toBe(true);
    expect(error.code).toBe("Internal");
    expect(error.message).toBe("internal error (request req-42)");
    const body = errorBody(error);
    expect(body).not.toContain("/srv/runtime");
    expect(body).not.toContain("at ");
    expect(JSON.parse(body).error.http_code).toBe(500);
    expect(toClientError("a string", undefined).error.message).toBe("internal error");
  });

  it("maps Hono's HTTP exceptions to the matching code", () => {
    expect(toClientError(new HTTPException(413, { message: "too big" }), "r").error.code).toBe("PayloadTooLarge");
    expect(toClientError(new HTTPException(401), "r").error.code).toBe("Unauthorized");
    expect(toClientError(new HTTPException(418), "r").error.code).toBe("Internal");
  });
});
