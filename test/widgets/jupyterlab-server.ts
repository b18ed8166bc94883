// The browser tests' JupyterLab: the driver in src/bench/lab-driver.ts (shared with the
// front-end latency benchmark), plus when the tests can run here.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { CHROMIUM, LAB_VENV, labCommand } from "../../src/bench/lab-driver";

export {
  kernelIdle,
  LAB_VENV,
  labArgs,
  labCommand,
  labEnv,
  openLab,
  type RunningServer,
  startServer,
  TOKEN,
  waitForServer,
} from "../../src/bench/lab-driver";

export const LABEXTENSION = join(__dirname, "..", "..", "widgets", "labextension");

/** Why a JupyterLab test cannot run here, or null; in CI (`CI` set) nothing is skipped. */
export function labSkipReason(): string | null {
  if (process.env.CI) return null;
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found`;
  if (!existsSync(join(LAB_VENV, "bin", "jupyter")))
    return `no JupyterLab venv at ${LAB_VENV} (npm start or widgets/build.sh makes it)`;
  if (!existsSync(join(LABEXTENSION, "package.json")))
    return "widgets/labextension not built (run widgets/build.sh)";
  return null;
}

/** Colour and background of the first layer header, as the theme paints them. */
export function headColours(page: Page): Promise<string[]> {
  return page
    .locator(".seglens-layer-head")
    .first()
    .evaluate((el) => {
      type Styled = { getComputedStyle(element: unknown): { color: string; backgroundColor: string } };
      const style = (globalThis as unknown as Styled).getComputedStyle(el);
      return [style.color, style.backgroundColor];
    });
}

/** Switches the app to `theme` (JupyterLab or Notebook 7) and waits until the page carries it. */
export async function setTheme(page: Page, theme: "JupyterLab Light" | "JupyterLab Dark"): Promise<void> {
  await labCommand(page, "apputils:change-theme", { theme });
  const light = theme === "JupyterLab Light" ? "true" : "false";
  await page.locator(`body[data-jp-theme-light="${light}"]`).waitFor({ state: "attached", timeout: 60_000 });
}
