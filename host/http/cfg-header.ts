// The `cfg` request header: a plugin config as JSON, for transports whose body is the
// tool's input alone (the adapter route, MCP). Absent or blank means none was given.
import { RuntimeError } from "../../sandbox/errors.ts";
import { checkJsonShape } from "./json-limits.ts";

export function parseCfgHeader(value: string | undefined): unknown {
  if (value === undefined || value.trim() === "") return null;
  let cfg: unknown;
  checkJsonShape(value, "header cfg");
  try {
    cfg = JSON.parse(value);
  } catch {
    throw new RuntimeError("InvalidRequest", "invalid request: header cfg: not JSON", {
      data: { issues: [{ path: ["cfg"], code: "invalid_json", message: "not JSON" }] },
    });
  }
  if (cfg !== null && (typeof cfg !== "object" || Array.isArray(cfg))) {
    throw new RuntimeError("InvalidRequest", "invalid request: header cfg: expected a JSON object or null", {
      data: { issues: [{ path: ["cfg"], code: "invalid_type", message: "expected a JSON object or null" }] },
    });
  }
  return cfg;
}
