// The behaviour every JobQueue backend must show (SPEC §5 job model). A backend's
// test file calls `describeJobQueueConformance` with a factory; the queue runs the
// real asynchronous InstallWorkload.
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RuntimeError } from "../../../sandbox/errors.ts";
import type { JobsConfig } from "../../../host/config/index.ts";
import type { InstallRunner, JobQueue, JobSnapshot } from "../../../host/jobs/index.ts";
import { InstallWorkload } from "./install-workload.ts";

export type JobQueueFactory = (runner: InstallRunner, config: JobsConfig) => Promise<JobQueue>;

const DEFAULTS: JobsConfig = { concurrency: 2, max_queued: 100, keep_finished_seconds: 3600, keep_finished_max: 100 };

async function until(read: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await read())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return err instanceof RuntimeError ? err.code : `not a RuntimeError: ${String(err)}`;
  }
  return "resolved";
}

export function describeJobQueueConformance(backend: string, factory: JobQueueFactory): void {
  describe(`JobQueue conformance: ${backend}`, () => {
    let work: InstallWorkload;
    const queues: JobQueue[] = [];

    const makeQueue = async (config: Partial<JobsConfig> = {}): Promise<JobQueue> => {
      const queue = await factory(work.runner, { ...DEFAULTS, ...config });
      queues.push(queue);
      return queue;
    };
    const request = (uri: string) => ({ uri, filename: `${uri.split("/")[2] ?? "pkg"}.zip`, force: false });
    const statusOf = (queue: JobQueue, id: string) => (): Promise<JobSnapshot> => queue.status(id);
    const reaches = async (queue: JobQueue, id: string, test: (s: JobSnapshot) => boolean, what: string) =>
      until(async () => test(await queue.status(id)), what);

    beforeEach(async () => {
      work = await InstallWorkload.create();
    });
    afterEach(async () => {
      work.openAll();
      await Promise.all(queues.splice(0).map((q) => q.close()));
      await work.dispose();
    });

    it("runs an enqueued install to finished with its package as data and progress 100", async () => {
      const queue = await makeQueue();
      const uri = work.uri("alpha", "0.2.1");
      const id = await queue.enqueue(request(uri));
      expect(typeof id).toBe("string");
      expect((await queue.status(id)).status).toBe("queued");
      const final = await queue.wait(id);
      expect(final).toMatchObject({ job_id: id, status: "finished", progress: 100 });
      expect(final.data).toEqual({ name: "alpha", version: "0.2.1", uri, filename: "alpha.zip" });
      expect(await queue.status(id)).toMatchObject({ status: "finished", data: final.data });
      expect(await work.published()).toEqual(["alpha@0.2.1"]);
    });

    it("reports the stage and progress of a started install", async () => {
      const queue = await makeQueue();
      const uri = work.uri("beta", "1.0.0", { gated: true });
      const id = await queue.enqueue(request(uri));
      await reaches(queue, id, (s) => s.stage === "bundle", "the bundle stage");
      expect(await statusOf(queue, id)()).toMatchObject({ status: "started", stage: "bundle", progress: 50 });
      work.open(uri);
      expect((await queue.wait(id)).status).toBe("finished");
    });

    it("fails a job whose install throws, with the error's message as reason and its code kept", async () => {
      const queue = await makeQueue();
      const id = await queue.enqueue(request(work.uri("broken", "1.0.0", { failures: 1 })));
      const final = await queue.wait(id);
      expect(final.status).toBe("failed");
      expect(final.reason).toBe("package.json of broken: version is not semver");
      expect(final.error?.code).toBe("InvalidPackage");
      expect(final.data).toBeUndefined();
      expect(await work.staging()).toEqual([]);
    });

    it("answers JobNotFound for any unknown job id, whatever its form", async () => {
      const queue = await makeQueue();
      for (const id of [randomUUID(), "abc-123", "", "../../etc/passwd", "x".repeat(5000), "{}"]) {
        expect(await codeOf(queue.status(id))).toBe("JobNotFound");
        expect(await codeOf(queue.cancel(id))).toBe("JobNotFound");
        expect(await codeOf(queue.retry(id))).toBe("JobNotFound");
        expect(await codeOf(queue.wait(id))).toBe("JobNotFound");
      }
    });

    it("cancels a queued job before it ever runs", async () => {
      const queue = await makeQueue({ concurrency: 1 });
      const first = work.uri("first", "1.0.0", { gated: true });
      const a = await queue.enqueue(request(first));
      const b = await queue.enqueue(request(work.uri("second")));
      await reaches(queue, a, (s) => s.status === "started", "the first job to start");
      expect((await queue.status(b)).status).toBe("queued");
      await queue.cancel(b);
      expect((await queue.status(b)).status).toBe("canceled");
      work.open(first);
      expect((await queue.wait(a)).status).toBe("finished");
      expect(work.started).toEqual([first]);
      expect(await work.published()).toEqual(["first@1.0.0"]);
    });

    it("cancels a started job: aborts it and returns once nothing is left behind", async () => {
      const queue = await makeQueue();
      const id = await queue.enqueue(request(work.uri("gamma", "1.0.0", { gated: true })));
      await reaches(queue, id, (s) => s.stage === "bundle", "the bundle stage");
      expect(await work.staging()).toHaveLength(1);
      await queue.cancel(id);
      expect((await queue.status(id)).status).toBe("canceled");
      expect(await work.staging()).toEqual([]);
      expect(await work.published()).toEqual([]);
    });

    it("refuses to cancel a job that has ended (InvalidRequest)", async () => {
      const queue = await makeQueue();
      const done = await queue.enqueue(request(work.uri("done")));
      const failed = await queue.enqueue(request(work.uri("failed", "1.0.0", { failures: 1 })));
      await queue.wait(done);
      await queue.wait(failed);
      const canceledUri = work.uri("canceled", "1.0.0", { gated: true });
      const canceled = await queue.enqueue(request(canceledUri));
      await queue.cancel(canceled);
      for (const id of [done, failed, canceled]) expect(await codeOf(queue.cancel(id))).toBe("InvalidRequest");
    });

    it("retries a failed job under the same id: queued when retry returns, then finished", async () => {
      const queue = await makeQueue();
      const uri = work.uri("flaky", "2.0.0", { failures: 1 });
      const id = await queue.enqueue(request(uri));
      expect((await queue.wait(id)).status).toBe("failed");
      await queue.retry(id);
      const after = await queue.status(id);
      expect(after).toMatchObject({ job_id: id, status: "queued", progress: 0 });
      expect(after.reason).toBeUndefined();
      const final = await queue.wait(id);
      expect(final).toMatchObject({ job_id: id, status: "finished", progress: 100 });
      expect(final.data?.name).toBe("flaky");
      expect(work.started).toEqual([uri, uri]);
    });

    it("retries a canceled job", async () => {
      const queue = await makeQueue();
      const uri = work.uri("again", "1.0.0", { gated: true });
      const id = await queue.enqueue(request(uri));
      await reaches(queue, id, (s) => s.status === "started", "the job to start");
      await queue.cancel(id);
      work.open(uri);
      await queue.retry(id);
      expect((await queue.status(id)).status).toBe("queued");
      expect((await queue.wait(id)).status).toBe("finished");
      expect(await work.published()).toEqual(["again@1.0.0"]);
    });

    it("refuses to retry a queued, started or finished job (InvalidRequest)", async () => {
      const queue = await makeQueue({ concurrency: 1 });
      const running = work.uri("running", "1.0.0", { gated: true });
      const started = await queue.enqueue(request(running));
      const queued = await queue.enqueue(request(work.uri("waiting")));
      await reaches(queue, started, (s) => s.status === "started", "the job to start");
      expect(await codeOf(queue.retry(started))).toBe("InvalidRequest");
      expect(await codeOf(queue.retry(queued))).toBe("InvalidRequest");
      work.open(running);
      await queue.wait(queued);
      expect(await codeOf(queue.retry(queued))).toBe("InvalidRequest");
    });

    it("runs no more installs at once than its concurrency", async () => {
      const queue = await makeQueue({ concurrency: 2 });
      const uris = ["p1", "p2", "p3", "p4", "p5"].map((n) => work.uri(n, "1.0.0", { gated: true }));
      const ids = await Promise.all(uris.map((u) => queue.enqueue(request(u))));
      await until(async () => work.active === 2, "two installs to run");
      const states = await Promise.all(ids.map(async (id) => (await queue.status(id)).status));
      expect(states.filter((s) => s === "started")).toHaveLength(2);
      expect(states.filter((s) => s === "queued")).toHaveLength(3);
      expect(queue.health()).toMatchObject({ state: "ok", running: 2, queued: 3 });
      work.openAll();
      for (const id of ids) expect((await queue.wait(id)).status).toBe("finished");
      expect(work.maxActive).toBe(2);
    });

    it("lets a waiter stop waiting without affecting the job", async () => {
      const queue = await makeQueue();
      const uri = work.uri("patient", "1.0.0", { gated: true });
      const id = await queue.enqueue(request(uri));
      const controller = new AbortController();
      const waiting = queue.wait(id, controller.signal);
      controller.abort(new Error("client went away"));
      await expect(waiting).rejects.toThrow("client went away");
      work.open(uri);
      expect((await queue.wait(id)).status).toBe("finished");
    });

    it("refuses installs beyond max_queued with RateLimited", async () => {
      const queue = await makeQueue({ concurrency: 1, max_queued: 2 });
      const blocker = work.uri("blocker", "1.0.0", { gated: true });
      const first = await queue.enqueue(request(blocker));
      await reaches(queue, first, (s) => s.status === "started", "the blocker to start");
      await queue.enqueue(request(work.uri("q1")));
      await queue.enqueue(request(work.uri("q2")));
      expect(await codeOf(queue.enqueue(request(work.uri("q3"))))).toBe("RateLimited");
    });

    it("forgets the oldest ended jobs beyond keep_finished_max", async () => {
      const queue = await makeQueue({ keep_finished_max: 2 });
      const ids: string[] = [];
      for (const name of ["k1", "k2", "k3"]) {
        const id = await queue.enqueue(request(work.uri(name)));
        await queue.wait(id);
        ids.push(id);
      }
      expect(await codeOf(queue.status(ids[0] ?? ""))).toBe("JobNotFound");
      expect((await queue.status(ids[1] ?? "")).status).toBe("finished");
      expect((await queue.status(ids[2] ?? "")).status).toBe("finished");
    });

    it("lists recent jobs newest first, with status and display name, skipping forgotten ones", async () => {
      const queue = await makeQueue({ keep_finished_max: 2 });
      const ids: string[] = [];
      for (const name of ["r1", "r2", "r3"]) {
        const id = await queue.enqueue(request(work.uri(name)));
        await queue.wait(id);
        ids.push(id);
      }
      const failed = await queue.enqueue(request(work.uri("r4", "1.0.0", { failures: 1 })));
      await queue.wait(failed);
      const recent = await queue.recent(10);
      expect(recent.map((j) => j.job_id)).toEqual([failed, ids[2]]);
      expect(recent[0]).toMatchObject({ job_id: failed, status: "failed", filename: "r4.zip", reason: "package.json of r4: version is not semver" });
      expect(await queue.recent(1)).toHaveLength(1);
    });

    it("forgets ended jobs after keep_finished_seconds", async () => {
      const queue = await makeQueue({ keep_finished_seconds: 1 });
      const id = await queue.enqueue(request(work.uri("brief")));
      await queue.wait(id);
      expect((await queue.status(id)).status).toBe("finished");
      await new Promise((r) => setTimeout(r, 1100));
      expect(await codeOf(queue.status(id))).toBe("JobNotFound");
    });

    it("on close ends its running installs cleanly and refuses new ones", async () => {
      const queue = await makeQueue();
      const id = await queue.enqueue(request(work.uri("interrupted", "1.0.0", { gated: true })));
      await reaches(queue, id, (s) => s.status === "started", "the job to start");
      await queue.close();
      expect(await work.staging()).toEqual([]);
      expect(await work.published()).toEqual([]);
      expect(queue.health().state).toBe("down");
      expect(await codeOf(queue.enqueue(request(work.uri("late"))))).toBe("QueueUnavailable");
    });
  });
}
