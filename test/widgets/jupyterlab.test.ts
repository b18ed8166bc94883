// The built labextension in a real JupyterLab: a Python ipywidgets stand-in for the kernel side
// opens an explorer (same module identity, state and buffer layout as src/widget/explorer-state.ts)
// and answers control changes, so module registration, the version range and binary buffers over a
// real comm are all exercised. A second notebook runs explore() in the seglens kernel itself
// (kernelspec from `seglens install --prefix`, found through JUPYTER_PATH; dist/ is built by npm test).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PALETTE_RGB } from "../../widgets/src/palette";
import { ARTIFACTS, launchChromium } from "./browser-page";
import {
  freePort,
  kernelIdle,
  LAB_VENV,
  LABEXTENSION,
  labArgs,
  labCommand,
  labSkipReason,
  type RunningServer,
  startServer,
  TOKEN,
} from "./jupyterlab-server";

const ROOT = join(__dirname, "..", "..");
const reason = labSkipReason();
if (reason) console.warn(`[seglens] JupyterLab test skipped: ${reason}`);

/** The part of a DOM canvas the page-side check uses (the Node typecheck has no DOM lib). */
interface PageCanvas {
  getContext(
    kind: "2d",
  ): { getImageData(x: number, y: number, w: number, h: number): { data: Iterable<number> } } | null;
}

const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

const CELL = `
import ipywidgets as widgets
from traitlets import Any, Dict, Float, Int, List, Unicode

class Explorer(widgets.DOMWidget):
    _model_module = Unicode("seglens").tag(sync=True)
    _model_module_version = Unicode("^${version}").tag(sync=True)
    _model_name = Unicode("ExplorerModel").tag(sync=True)
    _view_module = Unicode("seglens").tag(sync=True)
    _view_module_version = Unicode("^${version}").tag(sync=True)
    _view_name = Unicode("ExplorerView").tag(sync=True)
    model_choices = List(["tiny-a"]).tag(sync=True)
    layer_bounds = List([1, 3]).tag(sync=True)
    image_names = List(["a.png"]).tag(sync=True)
    models = List(["tiny-a"]).tag(sync=True)
    k = Int(4).tag(sync=True)
    rep = Unicode("tokens").tag(sync=True)
    layer_range = List([1, 3]).tag(sync=True)
    image = Any(0).tag(sync=True)
    opacity = Float(1.0).tag(sync=True)
    normalize = Unicode("l2").tag(sync=True)
    status = Dict({"kind": "loading", "stage": "features", "done": 1, "total": 2}).tag(sync=True)
    images = Any(None).tag(sync=True)
    frame = Any(None).tag(sync=True)

gh = gw = 4
labels = bytes((0 if y * gw + x < 4 * (l + 1) else 1 + x % 3) for l in range(3) for y in range(gh) for x in range(gw))
e = Explorer(frame={"models": ["tiny-a"], "rep": "tokens", "k": 4, "layers": [1, 2, 3], "images": [0],
    "grid": [gh, gw], "labels": {"dtype": "uint8", "shape": [1, 3, 1, gh, gw], "buffer": memoryview(labels)},
    "metrics": [[{"pb": 0.1 * l, "lc": 0.5, "ba": None} for l in (1, 2, 3)]]})
e.observe(lambda change: setattr(e, "status", {"kind": "error", "message": f"kernel saw k={change.new}"}), "k")
e.on_msg(lambda widget, content, buffers: setattr(e, "status", {"kind": "error", "message": f"kernel got {content}"}))
e
`;

const TS_CELL = `import { explore } from "seglens";
const w = explore({ model: ${JSON.stringify(join(ROOT, "models", "fixtures", "dinov2-tf4"))}, images: [${JSON.stringify(join(ROOT, "models", "samples"))}] });`;
const TINY_LAYERS = (
  JSON.parse(readFileSync(join(ROOT, "models", "fixtures", "dinov2-tf4", "config.json"), "utf8")) as {
    num_hidden_layers: number;
  }
).num_hidden_layers;
const PYTHON_KERNEL = { name: "python3", display_name: "Python 3", language: "python" };
const SEGLENS_KERNEL = { name: "seglens", display_name: "TypeScript (seglens)", language: "typescript" };

function notebook(source: string, kernelspec = PYTHON_KERNEL): string {
  return JSON.stringify({
    cells: [{ cell_type: "code", metadata: {}, source, outputs: [], execution_count: null }],
    metadata: { kernelspec },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

describe.skipIf(reason !== null)(
  `the seglens labextension in JupyterLab${reason ? ` (skipped: ${reason})` : ""}`,
  () => {
    let dir = "";
    let lab: RunningServer | null = null;
    let browser: Browser | null = null;
    let page: Page | null = null;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "seglens-lab-"));
      mkdirSync(join(dir, "data", "labextensions"), { recursive: true });
      symlinkSync(LABEXTENSION, join(dir, "data", "labextensions", "seglens"));
      mkdirSync(join(dir, "notebooks"));
      writeFileSync(join(dir, "notebooks", "explorer.ipynb"), notebook(CELL));
      writeFileSync(join(dir, "notebooks", "explore-ts.ipynb"), notebook(TS_CELL, SEGLENS_KERNEL));
      execFileSync(
        process.execPath,
        [join(ROOT, "dist", "cli", "main.js"), "install", "--prefix", join(dir, "prefix")],
        { stdio: "ignore" },
      );
      const port = await freePort();
      lab = await startServer(
        join(LAB_VENV, "bin", "jupyter"),
        ["lab", ...labArgs(port), `--ServerApp.root_dir=${join(dir, "notebooks")}`],
        {
          port,
          env: {
            ...process.env,
            JUPYTER_DATA_DIR: join(dir, "data"),
            JUPYTER_CONFIG_DIR: join(dir, "config"),
            JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
            JUPYTER_PATH: join(dir, "prefix", "share", "jupyter"),
            PATH: `${join(LAB_VENV, "bin")}:${process.env.PATH}`,
          },
        },
      );
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`${lab.base}/lab/tree/explorer.ipynb?token=${TOKEN}`);
      await page.waitForFunction(() => "jupyterapp" in globalThis, undefined, { timeout: 60_000 });
      await page.locator(".jp-Notebook").waitFor({ timeout: 60_000 });
      await kernelIdle(page, "python3");
    }, 180_000);

    afterAll(async () => {
      if (page) {
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, "jupyterlab-explorer.png") }).catch(() => undefined);
      }
      await browser?.close();
      await lab?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it("the plugin seglens:explorer is active and the explorer renders three layer panels from buffers", async () => {
      if (!page) throw new Error(`no page; JupyterLab log:\n${lab?.log()}`);
      const active = await page.evaluate(() => {
        const app = (globalThis as unknown as { jupyterapp: { isPluginActivated(id: string): boolean } })
          .jupyterapp;
        return app.isPluginActivated("seglens:explorer");
      });
      expect(active).toBe(true);
      await labCommand(page, "notebook:run-all-cells");
      await page.locator(".seglens-panel").nth(2).waitFor({ timeout: 60_000 });
      await expect(page.locator(".seglens-panel").count()).resolves.toBe(3);
      const pixel = await page
        .locator('.seglens-panel[data-layer="1"] canvas')
        .evaluate((c) => [
          ...((c as unknown as PageCanvas).getContext("2d")?.getImageData(1, 1, 1, 1).data ?? []),
        ]);
      expect(pixel).toEqual([...(PALETTE_RGB[0] as readonly number[]), 255]);
    }, 120_000);

    it("Cancel reaches the kernel as custom {action: 'cancel'}; a K key press as an update of k", async () => {
      if (!page) throw new Error("no page");
      await page.getByRole("button", { name: "Cancel" }).click();
      await page
        .getByRole("alert")
        .filter({ hasText: "kernel got {'action': 'cancel'}" })
        .waitFor({ timeout: 20_000 });
      await page.locator(".seglens-k").focus();
      await page.keyboard.press("ArrowRight");
      await page.getByRole("alert").filter({ hasText: "kernel saw k=5" }).waitFor({ timeout: 20_000 });
    }, 60_000);

    it("explore() in the seglens kernel shows one panel per layer of the tiny model, without an error", async () => {
      if (!page) throw new Error("no page");
      await labCommand(page, "docmanager:open", { path: "explore-ts.ipynb" });
      await kernelIdle(page, "seglens");
      await labCommand(page, "notebook:run-all-cells");
      const panels = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .seglens-panel");
      await panels.nth(TINY_LAYERS - 1).waitFor({ timeout: 60_000 });
      await expect(panels.count()).resolves.toBe(TINY_LAYERS);
      await expect(
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .seglens-error:visible").count(),
      ).resolves.toBe(0);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "jupyterlab-explore-ts.png") });

      // The K slider, moved with the keyboard from 6 to 3: the kernel re-clusters and the view draws
      // a frame whose legend (frame.k, from the kernel) has 3 clusters.
      const active = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)");
      const legend = active.locator(".seglens-legend button");
      await expect(legend.count()).resolves.toBe(6);
      await active.locator(".seglens-k").focus();
      for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowLeft");
      const sent = Date.now();
      await active
        .locator('.seglens-legend button[data-label="3"]')
        .waitFor({ state: "detached", timeout: 30_000 });
      await expect(legend.count()).resolves.toBe(3);
      console.info(
        `[seglens] K 6 → 3 in JupyterLab: new frame drawn ${Date.now() - sent} ms after the last key press`,
      );
      await page.screenshot({ path: join(ARTIFACTS, "jupyterlab-explore-ts-k3.png") });
    }, 120_000);
  },
);
