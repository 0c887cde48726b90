import { mkdtemp, readFile, rm, stat, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../host/config/index.ts";
import { loadDeploymentKey, type KeySpec } from "../../../host/keys/index.ts";

const spec: KeySpec = { configKey: "package.artifact_key", fileConfigKey: "package.artifact_key_file", purpose: "authenticates built package artifacts", minBytes: 32 };

describe("deployment keys", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "keys-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads an inline hex or base64 key", async () => {
    const hex = "ab".repeat(32);
    expect((await loadDeploymentKey(spec, { value: hex })).key).toEqual(Buffer.from(hex, "hex"));
    const b64 = Buffer.alloc(40, 7).toString("base64");
    const loaded = await loadDeploymentKey(spec, { value: b64 });
    expect(loaded.key).toEqual(Buffer.alloc(40, 7));
    expect(loaded.origin).toBe("config");
  });

  it("refuses a short, empty or garbled key with a line naming its config key", async () => {
    await expect(loadDeploymentKey(spec, { value: "abcd" })).rejects.toThrow(/package\.artifact_key is too short: 2 bytes.*at least 32/);
    await expect(loadDeploymentKey(spec, { value: "  " })).rejects.toThrow(/package\.artifact_key is empty/);
    await expect(loadDeploymentKey(spec, { value: "not a key!" })).rejects.toThrow(ConfigError);
    await expect(loadDeploymentKey(spec, { value: "ab".repeat(32), file: "/x" })).rejects.toThrow(/not both/);
    await expect(loadDeploymentKey(spec, {})).rejects.toThrow(/package\.artifact_key or package\.artifact_key_file is required/);
  });

  it("reads a key file, and refuses one that others can read or that is missing", async () => {
    const file = path.join(dir, "k");
    await writeFile(file, `${"cd".repeat(32)}\n`, { mode: 0o600 });
    expect((await loadDeploymentKey(spec, { file })).key).toEqual(Buffer.from("cd".repeat(32), "hex"));
    await chmod(file, 0o644);
    await expect(loadDeploymentKey(spec, { file })).rejects.toThrow(/can be read by other users \(mode 644\)/);
    await expect(loadDeploymentKey(spec, { file: path.join(dir, "missing") })).rejects.toThrow(/package\.artifact_key_file: cannot read .*ENOENT/);
  });

  it("generates a key on first start with mode 0600 and reads the same one afterwards", async () => {
    const generatedFile = path.join(dir, "keys", "artifact.key");
    const first = await loadDeploymentKey(spec, { generatedFile });
    expect(first.origin).toBe("generated");
    expect(first.file).toBe(generatedFile);
    expect(first.key.length).toBe(32);
    expect((await stat(generatedFile)).mode & 0o777).toBe(0o600);
    const again = await loadDeploymentKey(spec, { generatedFile });
    expect(again.origin).toBe("generated-earlier");
    expect(again.key).toEqual(first.key);
    expect((await readFile(generatedFile, "utf8")).trim()).toBe(first.key.toString("hex"));
  });
});
