// The example notebook (notebooks/quickstart.ipynb) in Jupyter Notebook 7 with the seglens kernel and
// the built labextension: the explorer renders one panel per layer of the bundled tiny model (the
// hub is offline, so the notebook falls back to it), in the light theme and in the dark one.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, launchChromium } from "./browser-page";
import {
  headColours,
  kernelIdle,
  LAB_VENV,
  LABEXTENSION,
  labArgs,
  labCommand,
  labEnv,
  labSkipReason,
  openLab,
  type RunningServer,
  setTheme,
  startServer,
} from "./jupyterlab-server";

const ROOT = join(__dirname, "..", "..");
const NOTEBOOK = join(LAB_VENV, "bin", "jupyter-notebook");
const reason =
  labSkipReason() ??
  (existsSync(NOTEBOOK) || process.env.CI ? null : `no Notebook 7 in ${LAB_VENV} (widgets/build.sh adds it)`);
if (reason) console.warn(`[seglens] Notebook 7 test skipped: ${reason}`);

/** Blocks of the bundled tiny model, the one the quickstart falls back to offline. */
const TINY_LAYERS = (
  JSON.parse(readFileSync(join(ROOT, "models", "fixtures", "dinov2-tf4", "config.json"), "utf8")) as {
    num_hidden_layers: number;
  }
).num_hidden_layers;

describe.skipIf(reason !== null)(
  `the explorer in Jupyter Notebook 7${reason ? ` (skipped: ${reason})` : ""}`,
  () => {
    let dir = "";
    let server: RunningServer | null = null;
    let browser: Browser | null = null;
    let page: Page | null = null;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "seglens-nb7-"));
      mkdirSync(join(dir, "data", "labextensions"), { recursive: true });
      symlinkSync(LABEXTENSION, join(dir, "data", "labextensions", "seglens"));
      mkdirSync(join(dir, "notebooks"));
      copyFileSync(join(ROOT, "notebooks", "quickstart.ipynb"), join(dir, "notebooks", "quickstart.ipynb"));
      execFileSync(
        process.execPath,
        [join(ROOT, "dist", "cli", "main.js"), "install", "--prefix", join(dir, "prefix")],
        { stdio: "ignore" },
      );
      server = await startServer(
        NOTEBOOK,
        [...labArgs(), "--expose-app-in-browser", `--ServerApp.root_dir=${join(dir, "notebooks")}`],
        // Offline: the quickstart's default model falls back to the bundled one without a request.
        { env: { ...labEnv(dir, join(dir, "prefix")), HF_HUB_OFFLINE: "1" } },
      );
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await openLab(page, server, "notebooks/quickstart.ipynb");
      await page.locator(".jp-Notebook").waitFor({ timeout: 120_000 });
      await kernelIdle(page, "seglens");
    }, 360_000);

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it("running the quickstart renders the explorer: a header and a panel per layer of the tiny model, no error", async () => {
      if (!page) throw new Error(`no page; Notebook log:\n${server?.log()}`);
      await labCommand(page, "notebook:run-all-cells");
      const panels = page.locator(".seglens-panel");
      await panels.nth(TINY_LAYERS - 1).waitFor({ timeout: 180_000 });
      await expect(panels.count()).resolves.toBe(TINY_LAYERS);
      await expect(page.locator(".seglens-layer-head").count()).resolves.toBe(TINY_LAYERS);
      await expect(page.locator(".seglens-error:visible").count()).resolves.toBe(0);
      await page.locator(".seglens-explorer").scrollIntoViewIfNeeded();
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "notebook7-light.png") });
    }, 300_000);

    it("the dark theme repaints the explorer with the theme's colours", async () => {
      if (!page) throw new Error("no page");
      const light = await headColours(page);
      await setTheme(page, "JupyterLab Dark");
      await expect.poll(() => headColours(page as Page)).not.toEqual(light);
      await page.screenshot({ path: join(ARTIFACTS, "notebook7-dark.png") });
      await setTheme(page, "JupyterLab Light");
    }, 120_000);
  },
);
