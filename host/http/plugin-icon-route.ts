// GET /v1/PluginIcon?pkg&version&plugin: the icon file a plugin names, from its
// installed folder (the install copied it there and checked it stays inside the
// package). Only image types are served, never sniffed, under a policy that lets
// nothing in them run, so a hostile SVG is an inert picture.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createRoute, z } from "@hono/zod-openapi";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { ApiDeps } from "./api-deps.ts";
import { respondError } from "./envelope.ts";
import { errorResponses, type ApiApp, type ApiContext } from "./operation.ts";
import { parseRequest } from "./request-parser.ts";

const NAME = "PluginIcon";
const IMAGE_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};
const IconQuery = z.strictObject({ pkg: z.string().min(1), version: z.string().min(1), plugin: z.string().min(1) });

/** A 404 as for an unknown route: there is no such file to serve. */
function notFound(c: ApiContext, message: string): Response {
  const error = new RuntimeError("InvalidRequest", message);
  c.set("error", error);
  return respondError(c, error, 404);
}

export function mountPluginIconRoute(app: ApiApp, deps: ApiDeps): void {
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "get",
      path: `/v1/${NAME}`,
      operationId: NAME,
      tags: ["Packages"],
      summary: "The icon file of an installed plugin",
      description: "Only for icons the package ships as a file (png, jpg, gif, webp, svg, ico); an icon given as a URL is not fetched.",
      request: { query: IconQuery },
      responses: {
        200: { description: "The image", content: { "image/*": { schema: z.string().openapi({ format: "binary" }) } } },
        ...errorResponses(["PackageNotFound", "PluginNotFound"]),
      },
    }),
  );
  app.get(`/v1/${NAME}`, async (c) => {
    c.set("operation", NAME);
    const q = parseRequest(IconQuery, c.req.query(), "query");
    const installed = await deps.packages.get(q.pkg, q.version);
    if (installed === null) throw new RuntimeError("PackageNotFound", `package ${q.pkg}@${q.version} is not installed`);
    const plugin = installed.meta.plugins.find((p) => p.name === q.plugin);
    if (plugin === undefined) throw new RuntimeError("PluginNotFound", `package ${q.pkg}@${q.version} has no plugin ${JSON.stringify(q.plugin)}`);
    const icon = plugin.icon;
    const type = IMAGE_TYPES[path.posix.extname(icon).toLowerCase()];
    const relative = path.posix.normalize(icon.replace(/^\.\//, ""));
    if (icon === "" || type === undefined || /^[a-z][a-z0-9+.-]*:/i.test(icon) || relative.startsWith("..") || path.posix.isAbsolute(relative)) {
      return notFound(c, `plugin ${q.plugin} has no icon file to serve`);
    }
    const bytes = await readFile(path.join(installed.dir, relative)).catch(() => null);
    if (bytes === null) return notFound(c, `the icon of plugin ${q.plugin} is missing`);
    return c.body(bytes, 200, {
      "content-type": type,
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
      "x-content-type-options": "nosniff",
      "cache-control": "private, max-age=300",
    });
  });
}
