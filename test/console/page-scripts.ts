// Scripts the console tests run inside the page. They are JavaScript text, not
// functions: the test suite is typechecked for Node (no DOM library), and these run in
// the browser only.

/** Reports every Content-Security-Policy violation to the test (through an exposed function). */
export const REPORT_VIOLATIONS = `document.addEventListener("securitypolicyviolation", (e) => {
  window.__reportViolation(e.violatedDirective + " " + e.blockedURI);
});`;

/** Where the page could keep a token. */
export const STORED_SECRETS = `({ session: Object.values(sessionStorage), local: Object.values(localStorage), cookie: document.cookie })`;

/** Records each state the install job card shows (status and current stage), into window.__seen. */
export const RECORD_JOB_STATES = `(() => {
  const seen = [];
  window.__seen = seen;
  new MutationObserver(() => {
    const job = document.querySelector(".job");
    if (job === null) return;
    const state = job.getAttribute("data-status") + ":" + [...job.querySelectorAll(".stage-current")].map((s) => s.textContent).join();
    if (seen.at(-1) !== state) seen.push(state);
  }).observe(document.body, { subtree: true, childList: true, attributes: true });
})()`;

export const JOB_STATES_SEEN = `window.__seen`;

/** What hostile metadata would have made, had it been parsed as HTML. */
export const HOSTILE_EFFECTS = `({
  pwned: window.__pwned ?? null,
  imgs: document.querySelectorAll("img[src='x'], svg[onload], b, i").length,
  scripts: [...document.scripts].map((s) => s.getAttribute("src")),
})`;
