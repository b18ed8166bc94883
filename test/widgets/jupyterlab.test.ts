// The built labextension in a real JupyterLab: a Python ipywidgets stand-in for the kernel side
// opens an explorer (same module identity, state and buffer layout as src/explorer/explorer-state.ts)
// and answers control changes, so module registration, the version range and binary buffers over a
// real comm are all exercised. A second notebook runs explore() in the seglens kernel itself
// (kernelspec from `seglens install --prefix`, found through JUPYTER_PATH; dist/ is built by npm test).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PALETTE } from "../../src/render/palette";
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

const TINY = join(ROOT, "models", "fixtures", "dinov2-tf4");
const OTHER = join(ROOT, "models", "fixtures", "vit-tf4");
const NOT_A_VIT = "not-a-vit.onnx";

/** The seglens notebook: an explorer offering two real models and a broken file, and an IntSlider. */
function tsCells(dir: string): string[] {
  const choices = [OTHER, join(dir, NOT_A_VIT)];
  return [
    `import { explore, intSlider } from "seglens";
const w = explore({ model: ${JSON.stringify(TINY)}, choices: ${JSON.stringify(choices)}, images: [${JSON.stringify(join(ROOT, "models", "samples"))}], pageSize: 2 });`,
    `const slider = intSlider({ value: 6, min: 2, max: 32, description: "n" });
slider`,
  ];
}

const TINY_LAYERS = (
  JSON.parse(readFileSync(join(ROOT, "models", "fixtures", "dinov2-tf4", "config.json"), "utf8")) as {
    num_hidden_layers: number;
  }
).num_hidden_layers;
const PYTHON_KERNEL = { name: "python3", display_name: "Python 3", language: "python" };
const SEGLENS_KERNEL = { name: "seglens", display_name: "TypeScript (seglens)", language: "typescript" };

function notebook(sources: string[], kernelspec = PYTHON_KERNEL): string {
  return JSON.stringify({
    cells: sources.map((source) => ({
      cell_type: "code",
      metadata: {},
      source,
      outputs: [],
      execution_count: null,
    })),
    metadata: { kernelspec },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

/** What the tests read of the explorer's current frame, as the front end's widget model holds it. */
interface FrameSummary {
  k: number;
  rep: string;
  models: string[];
  /** Distinct label values in the frame's label maps. */
  distinct: number;
  /** A digest of the label bytes, to tell frames apart. */
  digest: string;
}

/** Whether a view of the explorer is in the page, and how many elements it holds. */
interface ViewSummary {
  connected: boolean;
  children: number;
}

/**
 * The active notebook's explorer frame and views, read from its widget model: the output's
 * WidgetRenderer holds the notebook's widget manager, which holds every model by id.
 */
async function explorerInPage(page: Page): Promise<{ frame: FrameSummary | null; views: ViewSummary[] }> {
  return page.evaluate(async () => {
    type Model = { get(key: string): unknown; views?: Record<string, Promise<View>> };
    type View = { el: { isConnected: boolean; childElementCount: number } };
    type Manager = { _models: Record<string, Promise<Model>> };
    type LabWidget = { children?(): Iterable<LabWidget>; _manager?: { promise: Promise<Manager> } };
    const lab = (globalThis as unknown as { jupyterapp: { shell: { currentWidget: LabWidget } } }).jupyterapp;
    const renderers: LabWidget[] = [];
    const walk = (w: LabWidget) => {
      if (w._manager) renderers.push(w);
      for (const child of w.children?.() ?? []) walk(child);
    };
    walk(lab.shell.currentWidget);
    const manager = await renderers[0]?._manager?.promise;
    if (!manager) throw new Error("no widget output in the current notebook");
    const models = await Promise.all(Object.values(manager._models));
    const explorer = models.find((m) => m.get("_model_name") === "ExplorerModel");
    if (!explorer) throw new Error("no explorer in the current notebook");
    const views = (await Promise.all(Object.values(explorer.views ?? {}))).map((v) => ({
      connected: v.el.isConnected,
      children: v.el.childElementCount,
    }));
    const decoded = explorer.get("frame") as {
      kind: "ok";
      value: { k: number; rep: string; models: string[]; labels: { data: Uint8Array } };
    } | null;
    if (decoded?.kind !== "ok") return { frame: null, views };
    const { k, rep, models: shown, labels } = decoded.value;
    let digest = 0;
    for (const byte of labels.data) digest = (Math.imul(digest, 31) + byte) | 0;
    const frame = {
      k,
      rep,
      models: shown,
      distinct: new Set(labels.data).size,
      digest: `${labels.data.length}:${digest}`,
    };
    return { frame, views };
  });
}

/** The explorer's current frame (an error while it has none). */
async function explorerFrame(page: Page): Promise<FrameSummary> {
  const { frame } = await explorerInPage(page);
  if (frame === null) throw new Error("the explorer has no frame");
  return frame;
}

/** Polls the frame until `ready` holds for it. */
function waitForFrame(
  page: Page,
  ready: (frame: FrameSummary) => boolean,
  timeoutMs = 60_000,
): Promise<FrameSummary> {
  return vi.waitFor(
    async () => {
      const frame = await explorerFrame(page);
      if (!ready(frame)) throw new Error(`not the frame awaited yet: ${JSON.stringify(frame)}`);
      return frame;
    },
    { timeout: timeoutMs, interval: 50 },
  );
}

/**
 * Runs `code` in the active notebook's kernel from the page (JupyterLab's own kernel connection),
 * returning its text/plain result, or "error: <ename>".
 */
async function execute(page: Page, code: string): Promise<string> {
  return page.evaluate(async (source) => {
    type Msg = { header: { msg_type: string }; content: { data?: Record<string, string>; ename?: string } };
    type Future = { onIOPub: (msg: Msg) => void; done: Promise<unknown> };
    type Lab = {
      shell: {
        currentWidget: { sessionContext: { session: { kernel: { requestExecute(c: unknown): Future } } } };
      };
    };
    const lab = (globalThis as unknown as { jupyterapp: Lab }).jupyterapp;
    const future = lab.shell.currentWidget.sessionContext.session.kernel.requestExecute({ code: source });
    let text = "";
    future.onIOPub = (msg) => {
      if (msg.header.msg_type === "execute_result") text = msg.content.data?.["text/plain"] ?? "";
      if (msg.header.msg_type === "error") text = `error: ${msg.content.ename}`;
    };
    await future.done;
    return text;
  }, code);
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, name) });
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
      writeFileSync(join(dir, "notebooks", "explorer.ipynb"), notebook([CELL]));
      writeFileSync(join(dir, "notebooks", "explore-ts.ipynb"), notebook(tsCells(dir), SEGLENS_KERNEL));
      writeFileSync(join(dir, NOT_A_VIT), "this is not an ONNX model");
      execFileSync(
        process.execPath,
        [join(ROOT, "dist", "cli", "main.js"), "install", "--prefix", join(dir, "prefix")],
        { stdio: "ignore" },
      );
      lab = await startServer(
        join(LAB_VENV, "bin", "jupyter"),
        ["lab", ...labArgs(), `--ServerApp.root_dir=${join(dir, "notebooks")}`],
        { env: labEnv(dir, join(dir, "prefix")) },
      );
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await openLab(page, lab, "lab/tree/explorer.ipynb");
      await page.locator(".jp-Notebook").waitFor({ timeout: 120_000 });
      await kernelIdle(page, "python3");
    }, 360_000);

    afterAll(async () => {
      if (page) {
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, "jupyterlab-explorer.png") }).catch(() => undefined);
      }
      await browser?.close();
      await lab?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it("the plugin seglens:explorer is active and the explorer renders three layer panels from buffers", async () => {
      if (!page) throw new Error(`no page; JupyterLab log:\n${lab?.log()}`);
      const active = await page.evaluate(() => {
        const app = (globalThis as unknown as { jupyterapp: { isPluginActivated(id: string): boolean } })
          .jupyterapp;
        return app.isPluginActivated("seglens:explorer");
      });
      expect(active).toBe(true);
      await labCommand(page, "notebook:run-all-cells");
      await page.locator(".seglens-panel").nth(2).waitFor({ timeout: 120_000 });
      await expect(page.locator(".seglens-panel").count()).resolves.toBe(3);
      const pixel = await page
        .locator('.seglens-panel[data-layer="1"] canvas')
        .evaluate((c) => [
          ...((c as unknown as PageCanvas).getContext("2d")?.getImageData(1, 1, 1, 1).data ?? []),
        ]);
      expect(pixel).toEqual([...(PALETTE[0] as readonly number[]), 255]);
    }, 240_000);

    it("Cancel reaches the kernel as custom {action: 'cancel'}; a K key press as an update of k", async () => {
      if (!page) throw new Error("no page");
      await page.getByRole("button", { name: "Cancel" }).click();
      await page
        .getByRole("alert")
        .filter({ hasText: "kernel got {'action': 'cancel'}" })
        .waitFor({ timeout: 60_000 });
      await page.locator(".seglens-k").focus();
      await page.keyboard.press("ArrowRight");
      await page.getByRole("alert").filter({ hasText: "kernel saw k=5" }).waitFor({ timeout: 60_000 });
    }, 150_000);

    it("explore() in the seglens kernel shows one panel per layer of the tiny model, without an error", async () => {
      if (!page) throw new Error("no page");
      await labCommand(page, "docmanager:open", { path: "explore-ts.ipynb" });
      await kernelIdle(page, "seglens");
      await labCommand(page, "notebook:run-all-cells");
      const panels = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .seglens-panel");
      await panels.nth(TINY_LAYERS - 1).waitFor({ timeout: 120_000 });
      await expect(panels.count()).resolves.toBe(TINY_LAYERS);
      await expect(
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .seglens-error:visible").count(),
      ).resolves.toBe(0);
      await screenshot(page, "jupyterlab-explore-ts.png");
    }, 300_000);

    it("the dark theme repaints the explorer with the theme's colours (light and dark screenshots)", async () => {
      if (!page) throw new Error("no page");
      const light = await headColours(page);
      await setTheme(page, "JupyterLab Dark");
      await expect.poll(() => headColours(page as Page)).not.toEqual(light);
      await screenshot(page, "jupyterlab-explore-ts-dark.png");
      await setTheme(page, "JupyterLab Light");
      await expect.poll(() => headColours(page as Page)).toEqual(light);
    }, 120_000);

    it("the pager shows images 1–2 of 5; Next brings the kernel's frame of images 3–4", async () => {
      if (!page) throw new Error("no page");
      const active = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)");
      await expect(active.locator(".seglens-page-text").textContent()).resolves.toBe("images 1–2 of 5");
      await active.getByRole("button", { name: "Next ▶" }).click();
      await active
        .locator('.seglens-panel .seglens-cell[data-image="3"]')
        .first()
        .waitFor({ timeout: 60_000 });
      await expect(active.locator(".seglens-page-text").textContent()).resolves.toBe("images 3–4 of 5");
      await expect.poll(() => execute(page as Page, 'w.get("page")'), { timeout: 60_000 }).toBe("1");
    }, 150_000);

    it("the K slider, moved with the keyboard from 6 to 3: new frame data with at most 3 labels, more than one", async () => {
      if (!page) throw new Error("no page");
      const active = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)");
      const before = await explorerFrame(page);
      expect(before.k).toBe(6);
      await active.locator(".seglens-k").focus();
      for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowLeft");
      const sent = Date.now();
      const after = await waitForFrame(page, (f) => f.k === 3);
      // The legend is drawn from the same frame: 3 buttons once the view has rendered it.
      await active
        .locator('.seglens-legend button[data-label="3"]')
        .waitFor({ state: "detached", timeout: 60_000 });
      console.info(
        `[seglens] K 6 → 3 in JupyterLab: new frame drawn ${Date.now() - sent} ms after the last key press`,
      );
      expect(after.digest).not.toBe(before.digest);
      expect(after.distinct).toBeGreaterThan(1);
      expect(after.distinct).toBeLessThanOrEqual(3);
      await expect(active.locator(".seglens-legend button").count()).resolves.toBe(3);
      await screenshot(page, "jupyterlab-explore-ts-k3.png");
    }, 150_000);

    it("the display update with the static PNG re-renders the output: one live view, the replaced ones retired, focus kept", async () => {
      if (!page) throw new Error("no page");
      const active = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)");
      await active.locator(".seglens-k").focus();
      const before = (await explorerInPage(page)).views.length;
      // A new frame (K 4), counted from here: the kernel updates the display with its static PNG
      // 3 s after it, and JupyterLab renders a new view while the K slider has focus.
      await page.keyboard.press("ArrowRight");
      await waitForFrame(page, (f) => f.k === 4);
      const current = page;
      const { views } = await vi.waitFor(
        async () => {
          const now = await explorerInPage(current);
          if (now.views.length <= before) throw new Error(`still ${now.views.length} views`);
          return now;
        },
        { timeout: 60_000, interval: 200 },
      );
      expect(views.filter((v) => v.connected)).toHaveLength(1);
      for (const view of views.filter((v) => !v.connected)) expect(view.children).toBe(0);
      // The K slider of the new view has the focus the replaced one had: the next key press works.
      await expect(
        active.locator(".seglens-k").evaluate((el) => el === el.ownerDocument.activeElement),
      ).resolves.toBe(true);
      await page.keyboard.press("ArrowRight");
      await waitForFrame(page, (f) => f.k === 5);
    }, 150_000);

    it("switching the representation to keys re-clusters the keys: frame rep k, other labels", async () => {
      if (!page) throw new Error("no page");
      const before = await explorerFrame(page);
      await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .seglens-rep").selectOption("k");
      const after = await waitForFrame(page, (f) => f.rep === "k");
      expect(after.k).toBe(before.k);
      expect(after.digest).not.toBe(before.digest);
    }, 120_000);

    it("a second model side by side, then switching to it alone", async () => {
      if (!page) throw new Error("no page");
      const active = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)");
      await active.locator(`.seglens-models input[value="${OTHER}"]`).check();
      const both = await waitForFrame(page, (f) => f.models.length === 2);
      expect(both.models).toEqual([TINY, OTHER]);
      await expect(active.locator(".seglens-row").count()).resolves.toBe(2);
      await expect(active.locator(`.seglens-panel[data-model="${OTHER}"]`).count()).resolves.toBe(
        TINY_LAYERS,
      );
      await screenshot(page, "jupyterlab-two-models.png");
      await active.locator(`.seglens-models input[value="${TINY}"]`).uncheck();
      const alone = await waitForFrame(page, (f) => f.models.length === 1);
      expect(alone.models).toEqual([OTHER]);
    }, 180_000);

    it("a file that is not a model: the error shows in the widget, the kernel stays alive, the view recovers", async () => {
      if (!page) throw new Error("no page");
      const active = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)");
      const broken = join(dir, NOT_A_VIT);
      await active.locator(`.seglens-models input[value="${broken}"]`).check();
      const error = active.locator(".seglens-error:visible");
      await error.waitFor({ timeout: 60_000 });
      await expect(error.textContent()).resolves.toContain(NOT_A_VIT);
      await screenshot(page, "jupyterlab-bad-model.png");
      await expect(execute(page, "1 + 1")).resolves.toBe("2");
      await active.locator(`.seglens-models input[value="${broken}"]`).uncheck();
      await waitForFrame(page, (f) => f.models.length === 1 && f.models[0] === OTHER);
      await error.waitFor({ state: "hidden", timeout: 60_000 });
    }, 240_000);

    it("an IntSlider made by intSlider() in TypeScript renders and syncs both ways", async () => {
      if (!page) throw new Error("no page");
      const slider = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-hslider");
      await slider.waitFor({ timeout: 60_000 });
      await expect(slider.locator(".widget-label").textContent()).resolves.toBe("n");
      await expect(slider.locator(".widget-readout").textContent()).resolves.toBe("6");
      await slider.locator(".noUi-handle").focus();
      await page.keyboard.press("ArrowRight");
      await expect.poll(() => execute(page as Page, 'slider.get("value")'), { timeout: 60_000 }).toBe("7");
      await execute(page, "slider.set({ value: 12 })");
      await expect
        .poll(() => slider.locator(".widget-readout").textContent(), { timeout: 60_000 })
        .toBe("12");
      await screenshot(page, "jupyterlab-int-slider.png");
    }, 180_000);
  },
);
