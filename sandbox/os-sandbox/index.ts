// The second wall around each sandbox child (Linux): which layers the machine allows,
// the exact command a child is started with, and the seccomp filter (built here, loaded
// by bwrap at start and by the child itself once node runs).
export { describeMissing, detectOsSandbox, OS_LAYERS } from "./detect.ts";
export type { MissingLayer, OsLayer, OsSandboxPlan } from "./detect.ts";
export { OS_SANDBOX_ENV } from "./env.ts";
export { bwrapArgs, osSandboxLaunch, SANDBOX_RLIMITS, SANDBOX_UID } from "./launch.ts";
export type { Launch, NodeLaunch } from "./launch.ts";
export { ARCHES, buildSeccompFilter, seccompSupported } from "./seccomp.ts";
export { loadSeccompSelf } from "./seccomp-self.ts";
