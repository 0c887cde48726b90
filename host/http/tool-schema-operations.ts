// ExportToolSchemas over /v1: the installed tools (the latest version of each package,
// or one package) in a model API's tool format; see host/tool-schemas.
import { RuntimeError } from "../../sandbox/errors.ts";
import { exportToolSchemas } from "../tool-schemas/index.ts";
import { latestOfEach, latestVersion } from "../tools/index.ts";
import type { ApiDeps } from "./api-deps.ts";
import { ExportedToolSchemasData, ExportToolSchemasBody, type PackageMeta } from "./api-schemas.ts";
import { respondData } from "./envelope.ts";
import { mountOperation, type ApiApp } from "./operation.ts";

async function packagesFor(deps: ApiDeps, pkg: string | undefined, version: string | undefined): Promise<PackageMeta[]> {
  if (pkg === undefined) return latestOfEach(await deps.packages.list());
  if (version !== undefined) {
    const installed = await deps.packages.get(pkg, version);
    if (installed === null) throw new RuntimeError("PackageNotFound", `package ${pkg}@${version} is not installed`);
    return [installed.meta];
  }
  const latest = await latestVersion(deps.packages, pkg);
  if (latest === null) throw new RuntimeError("PackageNotFound", `package ${pkg} is not installed`);
  return [latest];
}

export function mountToolSchemaOperations(app: ApiApp, deps: ApiDeps): void {
  mountOperation(app, {
    name: "ExportToolSchemas",
    tag: "Tools",
    summary: "Installed tools as OpenAI function tools, Anthropic tools or MCP tool objects",
    description:
      "Each tool in the API's own shape, named for that API. With `strict`, input schemas are rewritten into the API's strict subset " +
      "(every object closed, every property required, optional ones as null unions, unsupported keywords moved into the description) " +
      "and `report` lists, per tool, what changed. Calls are still validated against the full schema.",
    body: ExportToolSchemasBody,
    data: ExportedToolSchemasData,
    errors: ["PackageNotFound"],
    async handle(c, body) {
      const packages = await packagesFor(deps, body.pkg, body.version);
      return respondData(c, exportToolSchemas(packages, { format: body.format, strict: body.strict, scope: body.pkg === undefined ? "deployment" : "package" }));
    },
  }, deps.maxBodyBytes);
}
