// Package and install-job operations (SPEC §5). Installs always go through the job
// queue: the sync InstallPackage enqueues and waits, like an API node behind Redis.
import { RuntimeError } from "../../sandbox/errors.ts";
import type { ApiDeps } from "./api-deps.ts";
import {
  EmptyBody,
  InstallPackageAsyncBody,
  InstallPackageBody,
  JobIdBody,
  JobIdData,
  JobStatusData,
  PackageMetaSchema,
  PackageSummarySchema,
  PackageVersionBody,
  ReadPackageMetadataBody,
} from "./api-schemas.ts";
import { z } from "@hono/zod-openapi";
import { respondData } from "./envelope.ts";
import { clientSignal } from "./node-request.ts";
import { mountOperation, type ApiApp } from "./operation.ts";
import { principalOf, tenantOf } from "./tenant.ts";

/**
 * An install URI as a non-admin may see it: no userinfo, query string or fragment
 * (where presigned URLs and basic-auth downloads keep their credentials).
 */
export function publicUri(uri: string): string {
  try {
    const url = new URL(uri);
    url.username = "";
    url.password = "";
    url.search = "";
    url.hash = "";
    return url.href;
  } catch {
    return uri.replace(/[?#].*$/s, "").replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
  }
}

/** HiAgent clients may omit `filename`; it is a display name, so the URI's last segment does. */
function displayName(uri: string, filename: string | undefined): string {
  if (filename !== undefined && filename !== "") return filename;
  const path = uri.replace(/[?#].*$/, "");
  const last = path.slice(path.lastIndexOf("/") + 1);
  try {
    return decodeURIComponent(last) || path;
  } catch {
    return last || path;
  }
}

export function mountPackageOperations(app: ApiApp, deps: ApiDeps): void {
  const { packages, jobs, maxBodyBytes } = deps;

  mountOperation(app, {
    name: "InstallPackage",
    tag: "Packages",
    summary: "Install a package and answer with its metadata",
    description: "Runs as an install job and waits for it. `force` (default true) replaces an installed version.",
    body: InstallPackageBody,
    data: PackageMetaSchema,
    errors: ["Forbidden", "FetchDenied", "AlreadyInstalled", "InvalidPackage", "DownloadFailed", "RateLimited", "QueueUnavailable"],
    async handle(c, body) {
      const id = await jobs.enqueue({ uri: body.uri, filename: displayName(body.uri, body.filename), force: body.force });
      // A client that goes away stops waiting; the install itself runs to its end.
      const signal = clientSignal(c);
      const final = await jobs.wait(id, signal).catch((err: unknown) => {
        if (signal.aborted) throw new RuntimeError("InvalidRequest", `the client went away; install job ${id} goes on`);
        throw err;
      });
      if (final.status === "failed") {
        throw final.error === undefined ? new RuntimeError("Internal", final.reason ?? "install failed") : RuntimeError.fromBody(final.error);
      }
      if (final.status !== "finished" || final.data === undefined) {
        throw new RuntimeError("InvalidRequest", `install job ${id} was canceled`);
      }
      const installed = await packages.get(final.data.name, final.data.version);
      if (installed === null) throw new RuntimeError("PackageNotFound", `package ${final.data.name}@${final.data.version} was deleted meanwhile`);
      return respondData(c, installed.meta);
    },
  }, maxBodyBytes);

  mountOperation(app, {
    name: "InstallPackageAsync",
    tag: "Install jobs",
    summary: "Start installing a package; answer with the job id",
    body: InstallPackageAsyncBody,
    data: JobIdData,
    errors: ["RateLimited", "QueueUnavailable"],
    async handle(c, body) {
      const jobId = await jobs.enqueue({ uri: body.uri, filename: displayName(body.uri, body.filename), force: body.force });
      return respondData(c, { job_id: jobId });
    },
  }, maxBodyBytes);

  mountOperation(app, {
    name: "GetInstallPackageAsyncStatus",
    tag: "Install jobs",
    summary: "The status of an install job",
    body: JobIdBody,
    data: JobStatusData,
    errors: ["JobNotFound", "QueueUnavailable"],
    async handle(c, body) {
      const { error: _internal, ...status } = await jobs.status(body.job_id);
      return respondData(c, status);
    },
  }, maxBodyBytes);

  mountOperation(app, {
    name: "CancelInstallPackage",
    tag: "Install jobs",
    summary: "Cancel a queued or started install job",
    description: "Answers once the job is canceled and nothing of it is left behind.",
    body: JobIdBody,
    data: z.null(),
    errors: ["JobNotFound", "QueueUnavailable"],
    async handle(c, body) {
      await jobs.cancel(body.job_id);
      return respondData(c, null);
    },
  }, maxBodyBytes);

  mountOperation(app, {
    name: "RetryInstallPackage",
    tag: "Install jobs",
    summary: "Run a failed or canceled install job again, under the same id",
    body: JobIdBody,
    data: z.null(),
    errors: ["JobNotFound", "RateLimited", "QueueUnavailable"],
    async handle(c, body) {
      await jobs.retry(body.job_id);
      return respondData(c, null);
    },
  }, maxBodyBytes);

  mountOperation(app, {
    name: "DeletePackage",
    tag: "Packages",
    summary: "Delete an installed package version",
    body: PackageVersionBody,
    data: z.null(),
    errors: ["PackageNotFound"],
    async handle(c, body) {
      await packages.delete(body.pkg, body.version);
      return respondData(c, null);
    },
  }, maxBodyBytes);

  mountOperation(app, {
    name: "ReadPackageMetadata",
    tag: "Packages",
    summary: "Read a package's name, version and plugin names without installing it",
    body: ReadPackageMetadataBody,
    data: PackageSummarySchema,
    errors: ["Forbidden", "FetchDenied", "InvalidPackage", "DownloadFailed", "RateLimited"],
    async handle(c, body) {
      return respondData(c, await packages.readMetadata({ uri: body.uri, filename: displayName(body.uri, body.filename) }, { tenant: tenantOf(c) }));
    },
  }, maxBodyBytes);

  mountOperation(app, {
    name: "ListPackages",
    tag: "Packages",
    summary: "The installed packages",
    description: "An `invoke` token sees each install URI without its userinfo and query string (a presigned URL's credentials).",
    body: EmptyBody,
    data: z.array(PackageMetaSchema),
    errors: [],
    async handle(c) {
      const metas = await packages.list();
      if (principalOf(c)?.role === "admin") return respondData(c, metas);
      return respondData(c, metas.map((meta) => ({ ...meta, uri: publicUri(meta.uri) })));
    },
  }, maxBodyBytes);
}
