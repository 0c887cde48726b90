// What the supervisor tells a walled child through its environment (read by the prologue).

/** The mode the child runs in: it loads its own seccomp filter unless `off`. */
export const OS_SANDBOX_ENV = "HIAGENT_OS_SANDBOX";
/** Set when bwrap loaded the start filter, so libuv has no io_uring ring to keep. */
export const OS_SANDBOX_BWRAP_ENV = "HIAGENT_OS_SANDBOX_BWRAP";
