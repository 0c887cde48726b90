// GET /docs: interactive API docs (swagger-ui) over /openapi.json, served from the
// runtime itself (the swagger-ui-dist package), so they work offline and no visitor's
// browser loads third-party script. The page and its start-up script are ours; no
// inline script, under the same Content-Security-Policy as the console.
import { createRequire } from "node:module";
import path from "node:path";
import type { ApiApp } from "./operation.ts";
import { sendFile, sendText } from "./static-files.ts";

const SWAGGER_DIR = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const SWAGGER_FILES: ReadonlySet<string> = new Set(["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "favicon-16x16.png"]);

const DOCS_INIT = `window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
`;

function docsPage(title: string): string {
  const t = title.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${t}</title>
    <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" />
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
    <script src="/docs/assets/swagger-ui-bundle.js" defer></script>
    <script src="/docs/assets/docs-init.js" defer></script>
  </head>
  <body>
    <div id="swagger-ui"></div>
  </body>
</html>
`;
}

export function mountDocsRoute(app: ApiApp, title: string): void {
  const page = docsPage(title);
  app.get("/docs", (c) => sendText(c, page, "text/html; charset=utf-8"));
  app.get("/docs/assets/docs-init.js", (c) => sendText(c, DOCS_INIT, "text/javascript; charset=utf-8"));
  app.get("/docs/assets/:name", (c) => {
    const name = c.req.param("name");
    if (!SWAGGER_FILES.has(name)) return c.notFound();
    return sendFile(c, SWAGGER_DIR, name, "public, max-age=86400");
  });
}
