// Tenancy operations: version channels (SetChannel, RollbackChannel, GetChannels; admin
// only, see auth/roles.ts) and GetUsage (a tenant reads its own usage; an admin any
// tenant's).
import { z } from "@hono/zod-openapi";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { ApiDeps } from "./api-deps.ts";
import { ChannelBody, ChannelData, GetChannelsBody, GetUsageBody, SetChannelBody, UsageData } from "./api-schemas.ts";
import { respondData } from "./envelope.ts";
import { mountOperation, type ApiApp } from "./operation.ts";
import { principalOf, tenantOf } from "./tenant.ts";

export function mountTenancyOperations(app: ApiApp, deps: ApiDeps): void {
  mountOperation(app, {
    name: "SetChannel",
    tag: "Tenancy",
    summary: "Point a package's channel at versions, weighted, with pins and an optional automatic rollback",
    description:
      "Each tenant is assigned a version by a stable hash of (tenant, package, channel), so it sees one version throughout a rollout; " +
      "`pins` win. `latest` (what a call without a version uses) follows the highest installed version until it is set. " +
      "Every node serves the new assignment within a second.",
    body: SetChannelBody,
    data: ChannelData,
    errors: ["PackageNotFound"],
    async handle(c, body) {
      return respondData(c, await deps.channels.set(body));
    },
  }, deps.maxBodyBytes);

  mountOperation(app, {
    name: "RollbackChannel",
    tag: "Tenancy",
    summary: "Return a channel to its previous assignment in one step",
    body: ChannelBody,
    data: ChannelData,
    errors: ["PackageNotFound"],
    async handle(c, body) {
      return respondData(c, await deps.channels.rollback(body.pkg, body.channel));
    },
  }, deps.maxBodyBytes);

  mountOperation(app, {
    name: "GetChannels",
    tag: "Tenancy",
    summary: "A package's channels, each with its current and previous assignment",
    body: GetChannelsBody,
    data: z.object({ pkg: z.string(), channels: z.array(ChannelData) }),
    errors: ["PackageNotFound"],
    async handle(c, body) {
      return respondData(c, { pkg: body.pkg, channels: await deps.channels.list(body.pkg) });
    },
  }, deps.maxBodyBytes);

  mountOperation(app, {
    name: "GetUsage",
    tag: "Tenancy",
    summary: "A tenant's calls, CPU ms and egress over a window, per package version and tool, with a series",
    body: GetUsageBody,
    data: UsageData,
    errors: ["Forbidden"],
    async handle(c, body) {
      const own = tenantOf(c);
      const tenant = body.tenant ?? own;
      if (tenant !== own && principalOf(c)?.role !== "admin") {
        throw new RuntimeError("Forbidden", `a token of tenant ${own} may read only its own usage`);
      }
      return respondData(c, await deps.meter.report(tenant, body.window));
    },
  }, deps.maxBodyBytes);
}
