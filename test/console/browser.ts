// Debian's chromium driven by playwright-core, for the console's end-to-end tests:
// headless, no GPU, no background traffic, a fresh profile per launch (playwright's
// own temporary user-data-dir). Screenshots go to test-artifacts/console/ (not tracked).
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { REPORT_VIOLATIONS } from "./page-scripts.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = path.resolve("test-artifacts", "console");

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** What a page did that a test wants to know was not done: dialogs, CSP violations, uncaught errors. */
export interface PageWatch {
  dialogs: string[];
  violations: string[];
  errors: string[];
}

export async function watchPage(page: Page): Promise<PageWatch> {
  const watch: PageWatch = { dialogs: [], violations: [], errors: [] };
  page.on("dialog", (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("pageerror", (err) => watch.errors.push(err.message));
  await page.exposeFunction("__reportViolation", (text: string) => watch.violations.push(text));
  await page.addInitScript({ content: REPORT_VIOLATIONS });
  return watch;
}
