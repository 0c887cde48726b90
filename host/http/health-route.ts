// GET /v1/health: 200 while the API serves, with each component's state in the body
// (SPEC §5). The overall status is the worst component's.
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps, ComponentHealth } from "./api-deps.ts";
import { HealthData, dataEnvelope } from "./api-schemas.ts";
import { respondData } from "./envelope.ts";
import type { ApiApp } from "./operation.ts";

const RANK = { ok: 0, degraded: 1, down: 2 } as const;

/** Installed versions this node refuses to load (their artifacts failed verification). */
async function packagesHealth(deps: Pick<ApiDeps, "packages">): Promise<ComponentHealth> {
  try {
    const broken = (await deps.packages.list()).filter((meta) => meta.broken !== undefined).map((meta) => ({ name: meta.name, version: meta.version, reason: meta.broken }));
    return broken.length === 0 ? { state: "ok" } : { state: "degraded", broken };
  } catch {
    return { state: "degraded", broken: null };
  }
}

export function mountHealthRoute(app: ApiApp, deps: ApiDeps): void {
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "get",
      path: "/v1/health",
      operationId: "Health",
      tags: ["Service"],
      summary: "Component states: api, queue, storage, packages (versions refused as broken), sandbox processes, bundler",
      responses: { 200: { description: "The API is serving", content: { "application/json": { schema: dataEnvelope(HealthData) } } } },
    }),
  );
  app.get("/v1/health", async (c) => {
    c.set("operation", "Health");
    const storage = await deps.storageHealth().catch((): ComponentHealth => ({ state: "down" }));
    const components: Record<string, ComponentHealth> = {
      api: { state: "ok" },
      queue: { ...deps.jobs.health() },
      storage,
      packages: await packagesHealth(deps),
      sandbox: { ...deps.sandbox.health() },
      bundler: deps.bundlerHealth(),
    };
    const worst = Object.values(components).reduce((w, h) => (RANK[h.state] > RANK[w] ? h.state : w), "ok" as ComponentHealth["state"]);
    return respondData(c, { status: worst, components });
  });
}
