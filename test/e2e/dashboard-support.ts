/**
 * The dashboard's browser tests: Debian's chromium driven by playwright-core (headless, fresh profile), the
 * API in-process, screenshots under the git-ignored .data/screenshots/ (CI keeps them as artifacts).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = resolve(__dirname, '..', '..', '.data', 'screenshots');
export const TOKEN = 'dashboard-test-token-0123456789abcdef';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far (a test asserts there are none). */
  errors: string[];
  close(): Promise<void>;
}

/** Chromium with a fresh --user-data-dir; fails with a sentence (never skips) when it is not installed. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: install Debian's package with "apt-get install -y chromium" (bash .ci/run does it when it is missing); the dashboard's browser tests cannot run without it.`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'starwave-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1360, height: 1000 } });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // The browser logs every 4xx answer of fetch as a failed resource: the API's refusals are part of the flows
    // tested here (a 401 before the token is entered, a 400 with the workflow's sentence); anything else is a bug.
    if (msg.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) errors.push(`console: ${msg.text()}`);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Enters the token in the page's sign-in form (the way a person does, once per tab). */
export async function signIn(page: Page, token = TOKEN): Promise<void> {
  await page.locator('#token').fill(token);
  await page.locator('#login-form button[type=submit]').click();
}

/** Polls `fn` until it returns a value (not undefined/false), within `timeoutMs`; the error names `what`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
