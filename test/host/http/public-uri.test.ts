// The install URI a non-admin sees in ListPackages: no userinfo, query or fragment.
import { describe, expect, it } from "vitest";
import { publicUri } from "../../../host/http/package-operations.ts";

describe("publicUri", () => {
  it.each([
    ["https://user:pass@example.com/p/x.zip?X-Amz-Signature=s#frag", "https://example.com/p/x.zip"],
    ["s3://bucket/key.zip?versionId=1", "s3://bucket/key.zip"],
    ["file:///srv/pkgs/x.zip", "file:///srv/pkgs/x.zip"],
    ["http://token@example.com:8080/x.zip", "http://example.com:8080/x.zip"],
    ["not a url?secret=1", "not a url"],
  ])("%s → %s", (uri, shown) => {
    expect(publicUri(uri)).toBe(shown);
  });
});
