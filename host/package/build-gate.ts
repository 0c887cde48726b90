// Admission to package builds on this node. Installs and ReadPackageMetadata both
// download, unpack, bundle and evaluate a package, so they share one gate: at most
// `package.max_concurrent_builds` run at once (the rest wait their turn), one tenant
// holds at most `package.tenant_max_builds` builds running or waiting (past it,
// `RateLimited` at once), and the files all running builds unpack into staging may
// total at most `package.staging_max_bytes`.
import { RuntimeError } from "../../sandbox/errors.ts";

export interface BuildGateLimits {
  maxConcurrent: number;
  tenantMax: number;
  stagingMaxBytes: number;
}

/** One admitted build. */
export interface BuildTicket {
  /** Counts `bytes` more written to staging; throws once the node's staging budget is passed. */
  stage(bytes: number): void;
  release(): void;
}

export class BuildGate {
  #running = 0;
  #staged = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #perTenant = new Map<string, number>();

  constructor(private readonly limits: BuildGateLimits) {}

  /** Waits for a build slot. `tenant` is who asked (none for installs the job queue runs). */
  async enter(tenant: string | undefined, signal?: AbortSignal): Promise<BuildTicket> {
    signal?.throwIfAborted();
    if (tenant !== undefined) {
      const held = this.#perTenant.get(tenant) ?? 0;
      if (held >= this.limits.tenantMax) {
        throw new RuntimeError("RateLimited", `tenant ${tenant} already has ${held} package builds running or waiting (package.tenant_max_builds); retry when one is done`);
      }
      this.#perTenant.set(tenant, held + 1);
    }
    const leaveTenant = (): void => {
      if (tenant === undefined) return;
      const held = (this.#perTenant.get(tenant) ?? 1) - 1;
      if (held === 0) this.#perTenant.delete(tenant);
      else this.#perTenant.set(tenant, held);
    };
    try {
      await this.#slot(signal);
    } catch (err) {
      leaveTenant();
      throw err;
    }
    let staged = 0;
    let released = false;
    return {
      stage: (bytes) => {
        staged += bytes;
        this.#staged += bytes;
        if (this.#staged <= this.limits.stagingMaxBytes) return;
        if (staged > this.limits.stagingMaxBytes) {
          throw new RuntimeError("InvalidPackage", `the package unpacks to more than ${this.limits.stagingMaxBytes} bytes (package.staging_max_bytes)`);
        }
        throw new RuntimeError("RateLimited", `the builds in progress fill the staging budget of ${this.limits.stagingMaxBytes} bytes (package.staging_max_bytes); retry shortly`);
      },
      release: () => {
        if (released) return;
        released = true;
        this.#staged -= staged;
        leaveTenant();
        this.#running--;
        this.#waiting.shift()?.();
      },
    };
  }

  #slot(signal: AbortSignal | undefined): Promise<void> {
    if (this.#running < this.limits.maxConcurrent) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(admit);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(signal?.reason);
      };
      const admit = (): void => {
        signal?.removeEventListener("abort", onAbort);
        this.#running++;
        resolve();
      };
      this.#waiting.push(admit);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
