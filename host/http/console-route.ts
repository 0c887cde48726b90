// GET /console: the web console (console/), a static page that calls the /v1 API with
// the token the person signs in with. Its files carry no secrets and need no token.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { consoleBuild, CONSOLE_FILES } from "../../console/index.ts";
import type { ApiApp } from "./operation.ts";
import { sendFile } from "./static-files.ts";

export function mountConsoleRoute(app: ApiApp): void {
  let assets: Promise<Set<string>> | undefined;
  const assetNames = async (dir: string): Promise<Set<string>> => {
    assets ??= readdir(path.join(dir, CONSOLE_FILES.assets)).then((names) => new Set(names));
    return assets;
  };
  app.get("/console", async (c) => sendFile(c, await consoleBuild(), CONSOLE_FILES.page));
  app.get("/console/", (c) => c.redirect("/console", 301));
  app.get("/console/assets/:name", async (c) => {
    const dir = await consoleBuild();
    const name = c.req.param("name");
    if (!(await assetNames(dir)).has(name)) return c.notFound();
    return sendFile(c, path.join(dir, CONSOLE_FILES.assets), name);
  });
}
