// The Lua scripts of the Redis backend (the files in ./redis-scripts/), run by SHA
// with a fallback: after a Redis restart (or SCRIPT FLUSH) the server has forgotten
// every script, EVALSHA answers NOSCRIPT, and the script is sent again whole by EVAL,
// which also caches it for the next EVALSHA.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { RedisClient } from "./redis-connection.ts";

export type ScriptName =
  | "job-claim"
  | "job-progress"
  | "job-finish"
  | "job-request-cancel"
  | "job-retry"
  | "job-requeue"
  | "lock-acquire"
  | "lock-renew"
  | "lock-release"
  | "quota-admit"
  | "quota-settle"
  | "channel-rollback"
  | "channel-outcome";

type ScriptArg = string | number;

export function isNoScriptError(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith("NOSCRIPT");
}

export class RedisScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;

  constructor(name: string, lua: string) {
    this.name = name;
    this.lua = lua;
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScriptError(err)) throw err;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

const scripts = new Map<ScriptName, RedisScript>();

export function script(name: ScriptName): RedisScript {
  let found = scripts.get(name);
  if (found === undefined) {
    found = new RedisScript(name, readFileSync(new URL(`./redis-scripts/${name}.lua`, import.meta.url), "utf8"));
    scripts.set(name, found);
  }
  return found;
}
