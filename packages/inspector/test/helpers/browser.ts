/**
 * End-to-end plumbing: the built UI (built once if missing or older than its sources), a
 * real headless Chromium (Debian's `/usr/bin/chromium` driven by playwright-core; nothing is
 * downloaded), and small waiting helpers that wait for the DOM rather than for time.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const INSPECTOR_DIR = fileURLToPath(new URL("../../", import.meta.url));
export const RESULTS_DIR = join(INSPECTOR_DIR, "test-results");
export const DOCS_IMAGES_DIR = join(INSPECTOR_DIR, "../../docs/images");

/**
 * Why the browser tests cannot run here, or undefined when they can. Under `CI=true` a
 * missing browser is a failure, not a skip (the caller throws).
 */
export function browserUnavailable(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `${CHROMIUM_PATH} is absent (install Debian's chromium, or set CHROMIUM_PATH)`;
}

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

/** Runs `vite build` when dist is missing or older than any source file. */
export function ensureBuilt(): void {
  const index = join(INSPECTOR_DIR, "dist/index.html");
  const sources = ["src", "index.html", "vite.config.ts"].map((p) => join(INSPECTOR_DIR, p));
  const newestSource = Math.max(...sources.map(newestMtime));
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource) return;
  const require = createRequire(import.meta.url);
  const vite = join(dirname(require.resolve("vite/package.json")), "bin/vite.js");
  const result = spawnSync(process.execPath, [vite, "build", "--logLevel", "warn"], {
    cwd: INSPECTOR_DIR,
    stdio: "inherit",
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`vite build failed (status ${result.status})`);
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 30_000,
  });
}

/** Whether this run refreshes the committed docs images (UPDATE_SCREENSHOTS=1). */
const UPDATE_DOCS_IMAGES =
  process.env.UPDATE_SCREENSHOTS === "1" || process.env.INSPECTOR_UPDATE_SCREENSHOTS === "1";

/**
 * Saves a screenshot under test-results/ and, for a main page (`docsName`, e.g. "inspector-run"),
 * as the docs images `docs/images/<docsName>.png` (light) and `<docsName>-dark.png` (dark).
 * The docs images are written only with UPDATE_SCREENSHOTS=1 (or when missing), so ordinary
 * runs — CI's among them — leave git clean.
 */
/**
 * A browser with one page, as the e2e suites use it: a desktop viewport `height` pixels tall,
 * en-US, 15 s action timeouts, and page errors collected into `problems`.
 */
export async function openPage(
  height: number,
  problems: string[],
): Promise<{ browser: Browser; context: BrowserContext; page: Page }> {
  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height }, locale: "en-US" });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  return { browser, context, page };
}

export async function screenshot(page: Page, name: string, docsName?: string): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: join(RESULTS_DIR, `${name}.png`) });
  if (!docsName) return;
  mkdirSync(DOCS_IMAGES_DIR, { recursive: true });
  for (const scheme of ["light", "dark"] as const) {
    const target = join(DOCS_IMAGES_DIR, `${docsName}${scheme === "dark" ? "-dark" : ""}.png`);
    if (existsSync(target) && !UPDATE_DOCS_IMAGES) continue;
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: target });
  }
  await page.emulateMedia({ colorScheme: null }); // back to the context's own setting
}

/** Waits until the first element matching `selector` has exactly this text content. */
export async function waitForText(
  page: Page,
  selector: string,
  expected: string,
  timeout = 15_000,
): Promise<void> {
  try {
    await page.waitForFunction(
      ({ selector, expected }) => document.querySelector(selector)?.textContent === expected,
      { selector, expected },
      { timeout },
    );
  } catch (error) {
    const actual = await page
      .locator(selector)
      .first()
      .textContent({ timeout: 1000 })
      .catch(() => "(no such element)");
    throw new Error(
      `${selector}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
      { cause: error },
    );
  }
}

/** Waits until the first element matching `selector` contains this text. */
export async function waitForContains(
  page: Page,
  selector: string,
  expected: string,
  timeout = 15_000,
): Promise<void> {
  try {
    await page.waitForFunction(
      ({ selector, expected }) =>
        document.querySelector(selector)?.textContent?.includes(expected) === true,
      { selector, expected },
      { timeout },
    );
  } catch (error) {
    const actual = await page
      .locator(selector)
      .first()
      .textContent({ timeout: 1000 })
      .catch(() => "(no such element)");
    throw new Error(
      `${selector}: expected to contain ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
      { cause: error },
    );
  }
}
