// The in-process queue against the job queue conformance suite.
import { EmbeddedJobQueue } from "../../../host/jobs/index.ts";
import { describeJobQueueConformance } from "./job-queue-conformance.ts";

describeJobQueueConformance("embedded", async (runner, config) => new EmbeddedJobQueue({ runner, config }));
