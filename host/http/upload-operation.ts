// POST /v1/UploadPackage: install a zip sent as the request body (the console's upload,
// or `curl --data-binary @x.zip`). The zip is kept by the upload store and installed by
// the same install job as InstallPackageAsync, under the same caps and checks: the
// body is capped at `package.max_package_bytes` before anything past it is read, and
// the job's download stage reads the stored file under that cap again.
import { createRoute, z } from "@hono/zod-openapi";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { ApiDeps } from "./api-deps.ts";
import { JobIdData, dataEnvelope } from "./api-schemas.ts";
import { respondData } from "./envelope.ts";
import { readBodyBytes } from "./json-body.ts";
import { bodySource } from "./node-request.ts";
import { errorResponses, type ApiApp } from "./operation.ts";
import { parseRequest } from "./request-parser.ts";

const NAME = "UploadPackage";

const UploadQuery = z.strictObject({
  filename: z.string().max(255).optional().openapi({ description: "A display name only, never a path (default: upload.zip)" }),
  force: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true")
    .openapi({ description: "Replace an installed version (default false)" }),
});

export function mountUploadOperation(app: ApiApp, deps: ApiDeps): void {
  const path = `/v1/${NAME}`;
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path,
      operationId: NAME,
      tags: ["Install jobs"],
      summary: "Upload a package zip and start installing it; answer with the job id",
      description:
        "The body is the zip itself (any Content-Type, e.g. `application/zip`), at most `package.max_package_bytes`. " +
        "The install runs as a job like InstallPackageAsync's. Not available behind Redis, where installs run on workers " +
        "that cannot read this node's files: install from an http(s):// or s3:// URI there.",
      request: {
        query: UploadQuery,
        body: { required: true, content: { "application/zip": { schema: z.string().openapi({ format: "binary" }) } } },
      },
      responses: {
        200: { description: "Success", content: { "application/json": { schema: dataEnvelope(JobIdData) } } },
        ...errorResponses(["Unauthorized", "Forbidden", "RateLimited", "QueueUnavailable"]),
      },
    }),
  );
  app.post(path, async (c) => {
    c.set("operation", NAME);
    const query = parseRequest(UploadQuery, c.req.query(), "query");
    if (deps.uploads === undefined) {
      throw new RuntimeError("InvalidRequest", "uploads are not taken here: installs run on workers (redis); install from an http(s):// or s3:// URI");
    }
    const zip = await readBodyBytes(bodySource(c), deps.maxPackageBytes, "package.max_package_bytes");
    if (zip.byteLength === 0) throw new RuntimeError("InvalidRequest", "the request body is empty: send the package zip as the body");
    const uri = await deps.uploads.save(zip);
    const filename = query.filename === undefined || query.filename === "" ? "upload.zip" : query.filename;
    const jobId = await deps.jobs.enqueue({ uri, filename, force: query.force });
    return respondData(c, { job_id: jobId });
  });
}
