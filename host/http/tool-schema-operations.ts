// ExportToolSchemas over /v1: the installed tools (each package at the version the
// tenant's calls run, or one package) in a model API's tool format; see host/tool-schemas.
import { RuntimeError } from "../../sandbox/errors.ts";
import { exportToolSchemas } from "../tool-schemas/index.ts";
import type { ApiDeps } from "./api-deps.ts";
import { ExportedToolSchemasData, ExportToolSchemasBody, type PackageMeta } from "./api-schemas.ts";
import { respondData } from "./envelope.ts";
import { mountOperation, type ApiApp } from "./operation.ts";
import { tenantOf } from "./tenant.ts";

/**
 * The packages to export, each at the version the tenant's call would run: a version or
 * channel named in `version`, else the tenant's `latest` (see host/tenancy).
 */
async function packagesFor(deps: ApiDeps, tenant: string, pkg: string | undefined, version: string | undefined): Promise<PackageMeta[]> {
  const names = pkg === undefined ? [...new Set((await deps.packages.list()).map((m) => m.name))].sort() : [pkg];
  const metas: PackageMeta[] = [];
  for (const name of names) {
    const served = await deps.channels.resolve(tenant, name, pkg === undefined ? undefined : version);
    const installed = await deps.packages.get(name, served.version);
    if (installed === null) throw new RuntimeError("PackageNotFound", `package ${name}@${served.version} is not installed`);
    metas.push(installed.meta);
  }
  return metas;
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
      const packages = await packagesFor(deps, tenantOf(c), body.pkg, body.version);
      return respondData(c, exportToolSchemas(packages, { format: body.format, strict: body.strict, scope: body.pkg === undefined ? "deployment" : "package" }));
    },
  }, deps.maxBodyBytes);
}
