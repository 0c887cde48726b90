// Runs once before all suites. Shared fixtures are built here, once per run.
export async function setup(): Promise<void> {}
export async function teardown(): Promise<void> {}
