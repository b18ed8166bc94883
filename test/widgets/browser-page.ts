// Opens the explorer test page (widgets/test/harness.ts bundled by esbuild) in Debian's Chromium,
// driven by playwright-core. Requests to the page's origin are answered in-process; Chromium is kept
// off the network by the flags of `launchChromium` (src/bench/lab-driver.ts).
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
import { CHROMIUM, launchChromium } from "../../src/bench/lab-driver";
import type { FixtureOptions, HarnessApi } from "../../widgets/test/harness-api";

export { CHROMIUM, launchChromium };

const ROOT = join(__dirname, "..", "..");
/** Screenshots and the bundle; gitignored. */
export const ARTIFACTS = join(__dirname, "artifacts");
const ORIGIN = "http://seglens.test";

/**
 * Why the browser tests cannot run here, or null. They are skipped only outside CI (`CI` unset):
 * in CI a missing Chromium fails them.
 */
export function browserSkipReason(): string | null {
  if (existsSync(CHROMIUM) || process.env.CI) return null;
  return `${CHROMIUM} not found (install it with \`apt-get install -y chromium\`); browser tests skipped`;
}

/** Bundles the test page's script with the view, the way the labextension build injects the version. */
export async function bundleHarness(): Promise<string> {
  if (!existsSync(join(ROOT, "widgets", "node_modules", "@jupyter-widgets", "base-manager"))) {
    throw new Error("widgets/node_modules is missing: run `npm ci --prefix widgets` first");
  }
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const result = await build({
    entryPoints: [join(ROOT, "widgets", "test", "harness.ts")],
    bundle: true,
    format: "iife",
    target: "es2022",
    write: false,
    define: { __SEGLENS_VERSION__: JSON.stringify(version) },
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

/** A page with the harness loaded, and the console errors it printed. */
export interface ExplorerPage {
  page: Page;
  consoleErrors: string[];
  /** Calls a harness method in the page with JSON arguments. */
  call<M extends keyof HarnessApi>(
    method: M,
    ...args: Parameters<HarnessApi[M]>
  ): Promise<Awaited<ReturnType<HarnessApi[M]>>>;
  screenshot(name: string): Promise<void>;
}

/** Opens the test page in a new page of `browser` (close it with `page.close()`). */
export async function openExplorerPage(browser: Browser, script: string): Promise<ExplorerPage> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  await page.route(`${ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === "/harness.js") {
      return route.fulfill({ contentType: "text/javascript", body: script });
    }
    return route.fulfill({
      contentType: "text/html",
      body: '<!doctype html><html><head><meta charset="utf-8"></head><body><div id="host"></div><script src="/harness.js"></script></body></html>',
    });
  });
  await page.goto(`${ORIGIN}/index.html`);
  return {
    page,
    consoleErrors,
    call: (method, ...args) =>
      // Runs in the page, where the harness script set globalThis.harness.
      page.evaluate(
        ([name, values]) => {
          const harness = (globalThis as unknown as { harness: Record<string, (...a: unknown[]) => unknown> })
            .harness;
          return harness[name]?.(...values);
        },
        [method, args] as [string, unknown[]],
      ) as never,
    async screenshot(name) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
  };
}

/**
 * The lifecycle every browser suite of the view shares, registered in the calling `describe`: one
 * Chromium and one bundled harness for the suite, a fresh page per test (screenshotted when the
 * test failed, then closed). Returns `open`, which opens a page with the fixture of `options`
 * (`beforeOpen` runs first, on the empty page: a style sheet the view must pick up).
 */
export function useExplorerPages(): (
  options: FixtureOptions,
  beforeOpen?: (page: Page) => Promise<unknown>,
) => Promise<ExplorerPage> {
  let script = "";
  let browser: Browser | null = null;
  let explorer: ExplorerPage | null = null;
  beforeAll(async () => {
    [script, browser] = await Promise.all([bundleHarness(), launchChromium()]);
  });
  afterEach(async (context) => {
    if (explorer && context.task.result?.state === "fail")
      await explorer.screenshot(`failed-${context.task.name}`);
    await explorer?.page.close();
    explorer = null;
  });
  afterAll(async () => {
    await browser?.close();
  });
  return async (options, beforeOpen) => {
    if (!browser) throw new Error("Chromium did not start");
    explorer = await openExplorerPage(browser, script);
    await beforeOpen?.(explorer.page);
    await explorer.call("open", options);
    return explorer;
  };
}
