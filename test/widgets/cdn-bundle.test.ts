// The AMD widget bundle (widgets/cdn/index.js, dist/index.js of the npm package) in Chromium: loaded
// the way requirejs loads a module fetched from an npm CDN, it defines one module that depends on
// the page's @jupyter-widgets/base alone, and its classes render the explorer, chart included.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { browserSkipReason, useExplorerPages } from "./browser-page";

const BUNDLE = join(__dirname, "..", "..", "widgets", "cdn", "index.js");
const skipReason =
  browserSkipReason() ??
  (existsSync(BUNDLE) || process.env.CI ? null : "widgets/cdn/index.js not built (widgets/build.sh)");
if (skipReason) console.warn(`[seglens] CDN bundle test skipped: ${skipReason}`);

/** Defines `define` as requirejs does (`define.amd` set), recording each call, before the bundle runs. */
function amdShim(): void {
  type Factory = (...deps: unknown[]) => Record<string, unknown>;
  const page = globalThis as unknown as {
    jupyterWidgetsBase: unknown;
    seglensAmd?: Record<string, unknown>;
    defines: unknown[][];
    define: ((deps: string[], factory: Factory) => void) & { amd?: object };
  };
  page.defines = [];
  const define = (deps: string[], factory: Factory) => {
    page.defines.push(deps);
    page.seglensAmd = factory(
      ...deps.map((d) => (d === "@jupyter-widgets/base" ? page.jupyterWidgetsBase : undefined)),
    );
  };
  page.define = Object.assign(define, { amd: {} });
}

describe.skipIf(skipReason !== null)(
  `the AMD widget bundle in Chromium${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  { timeout: 180_000 },
  () => {
    const open = useExplorerPages();

    it("defines one module depending on @jupyter-widgets/base only, whose ExplorerModel and ExplorerView render the explorer and its chart", async () => {
      const bundle = readFileSync(BUNDLE, "utf8");
      const { page, call, consoleErrors } = await open({}, async (empty) => {
        await empty.evaluate(amdShim);
        await empty.addScriptTag({ content: bundle });
      });
      // plotly's own UMD wrapper must not have called the page's define: one module, one call
      await expect(
        page.evaluate(() => (globalThis as unknown as { defines: unknown[] }).defines),
      ).resolves.toEqual([["@jupyter-widgets/base"]]);
      const exported = await page.evaluate(() => {
        const amd = (globalThis as unknown as { seglensAmd: Record<string, unknown> }).seglensAmd;
        return [amd.MODULE_NAME, Object.keys(amd).sort()];
      });
      expect(exported).toEqual([
        "seglens",
        [
          "EXPLORER_IDENTITY",
          "ExplorerModel",
          "ExplorerView",
          "MODULE_NAME",
          "MODULE_RANGE",
          "MODULE_VERSION",
        ],
      ]);
      await expect(page.locator(".seglens-panel").count()).resolves.toBe(3);
      await expect(call("chartTraces")).resolves.toBe(3);
      expect(consoleErrors).toEqual([]);
    });
  },
);
