// The lens switch end to end in JupyterLab: explore() in the seglens kernel on the tiny model, the
// view's lens selector switched to PCA and to attention (head 0), and the canvases checked against
// the colours of the kernel's frames. With SEGLENS_LENS_FIGURES=<folder> it runs on the benchmark's
// random-weight ViT-S/16 instead (models/bench/vit-small-patch16, from
// `node dist/bench/main.js --job vit-small-patch16`) and also saves the explorer of each lens there
// as explorer-<lens>.png: the README's pictures.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ARTIFACTS, launchChromium } from "./browser-page";
import {
  kernelIdle,
  LAB_VENV,
  LABEXTENSION,
  labArgs,
  labEnv,
  labSkipReason,
  openLab,
  type RunningServer,
  setTheme,
  startServer,
} from "./jupyterlab-server";

const ROOT = join(__dirname, "..", "..");
const FIGURES = process.env.SEGLENS_LENS_FIGURES ? resolve(process.env.SEGLENS_LENS_FIGURES) : null;
const MODEL = join(ROOT, "models", FIGURES ? "bench/vit-small-patch16" : "fixtures/dinov2-tf4");
const reason = labSkipReason();
if (reason) console.warn(`[seglens] JupyterLab lens test skipped: ${reason}`);

const OPTIONS = {
  model: MODEL,
  images: [join(ROOT, "models", "samples")],
  opacity: 1,
  // The README's pictures: four blocks through the depth, two images; the test: one image.
  ...(FIGURES ? { depth: [0.25, 0.5, 0.75, 1], image: "all", pageSize: 2 } : { image: 0 }),
};

function notebook(source: string): string {
  return JSON.stringify({
    cells: [{ cell_type: "code", metadata: {}, source, outputs: [], execution_count: null }],
    metadata: {
      kernelspec: { name: "seglens", display_name: "TypeScript (seglens)", language: "typescript" },
    },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

/** The current frame's lens and head, and each (layer, patch centre) of the first image: the frame's colour and the canvas pixel there. */
interface LensCheck {
  lens: string;
  head: unknown;
  heads: number;
  provisional: boolean;
  samples: { layer: number; expected: number[]; drawn: number[] }[];
}

/**
 * Reads the explorer's widget model in the page (the frame as the view decoded it) and, for a
 * colour frame, compares each layer panel's canvas at a few patch centres of the first image with
 * the frame's `colors` there.
 */
function lensCheck(page: Page): Promise<LensCheck | null> {
  return page.evaluate(async () => {
    type Nd = { shape: number[]; data: Uint8Array };
    type Frame = {
      lens: string;
      head?: unknown;
      provisional: boolean;
      models: string[];
      layers: number[];
      images: number[];
      grid: [number, number];
      colors: Nd | null;
    };
    type Model = { get(key: string): unknown };
    type Manager = { _models: Record<string, Promise<Model>> };
    type LabWidget = { children?(): Iterable<LabWidget>; _manager?: { promise: Promise<Manager> } };
    type Canvas = {
      width: number;
      height: number;
      getContext(kind: "2d"): {
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      };
    };
    const g = globalThis as unknown as {
      jupyterapp: { shell: { currentWidget: LabWidget } };
      document: { querySelector(selector: string): Canvas | null };
    };
    const renderers: LabWidget[] = [];
    const walk = (w: LabWidget) => {
      if (w._manager) renderers.push(w);
      for (const child of w.children?.() ?? []) walk(child);
    };
    walk(g.jupyterapp.shell.currentWidget);
    const manager = await renderers[0]?._manager?.promise;
    if (!manager) return null;
    const models = await Promise.all(Object.values(manager._models));
    const explorer = models.find((m) => m.get("_model_name") === "ExplorerModel");
    const decoded = explorer?.get("frame") as { kind: string; value: Frame } | null | undefined;
    if (!explorer || decoded?.kind !== "ok") return null;
    const frame = decoded.value;
    const heads = explorer.get("heads") as number;
    const result = {
      lens: frame.lens,
      head: frame.head,
      heads,
      provisional: frame.provisional,
      samples: [] as LensCheck["samples"],
    };
    if (!frame.colors) return result;
    const [gh, gw] = frame.grid;
    const images = explorer.get("images") as { kind: string; value: Nd } | null;
    const [ih, iw] =
      images?.kind === "ok" ? [images.value.shape[1] ?? 1, images.value.shape[2] ?? 1] : [gh, gw];
    for (const [l, layer] of frame.layers.entries()) {
      const canvas = g.document.querySelector(
        `.seglens-row[data-model-index="0"] .seglens-panel[data-layer="${layer}"] canvas`,
      );
      if (!canvas) continue;
      // The first image is the canvas's top block, as wide as the canvas.
      const blockHeight = Math.round((canvas.width * ih) / iw);
      for (const [gy, gx] of [
        [0, 0],
        [Math.floor(gh / 2), Math.floor(gw / 3)],
        [gh - 1, gw - 1],
      ] as const) {
        const x = Math.floor(((gx + 0.5) * canvas.width) / gw);
        const y = Math.floor(((gy + 0.5) * blockHeight) / gh);
        const at = (l * frame.images.length * gh * gw + gy * gw + gx) * 3;
        result.samples.push({
          layer,
          expected: [...frame.colors.data.subarray(at, at + 3)],
          drawn: [...canvas.getContext("2d").getImageData(x, y, 1, 1).data].slice(0, 3),
        });
      }
    }
    return result;
  });
}

/** Waits until the explorer's frame satisfies `ready` and its canvases show its colours. */
function waitForLens(page: Page, ready: (check: LensCheck) => boolean): Promise<LensCheck> {
  return vi.waitFor(
    async () => {
      const check = await lensCheck(page);
      if (!check || !ready(check)) throw new Error(`not the frame awaited yet: ${JSON.stringify(check)}`);
      const wrong = check.samples.filter((s) => s.expected.join() !== s.drawn.join());
      if (check.samples.length === 0 || wrong.length > 0)
        throw new Error(`canvases do not show the frame's colours yet: ${JSON.stringify(wrong)}`);
      return check;
    },
    { timeout: 240_000, interval: 50 },
  );
}

/** Logs how long the view took from a selector change to canvases showing the new frame's colours. */
function logSwitch(what: string, since: number): void {
  console.info(
    `[seglens] ${what} in JupyterLab (${MODEL.split("/").at(-1)}): colours drawn ${Date.now() - since} ms after the change`,
  );
}

async function keep(explorer: Locator, page: Page, lens: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `jupyterlab-lens-${lens}.png`) });
  if (FIGURES) {
    mkdirSync(FIGURES, { recursive: true });
    // JupyterLab's notifications ("get notified about Jupyter news?") would cover the panels.
    await page.addStyleTag({ content: ".Toastify { display: none !important; }" });
    await explorer.screenshot({ path: join(FIGURES, `explorer-${lens}.png`) });
  }
}

describe.skipIf(reason !== null)(
  `the explorer's lenses in JupyterLab${reason ? ` (skipped: ${reason})` : ""}`,
  () => {
    let dir = "";
    let lab: RunningServer | null = null;
    let browser: Browser | null = null;
    let page: Page | null = null;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "seglens-lens-lab-"));
      mkdirSync(join(dir, "data", "labextensions"), { recursive: true });
      symlinkSync(LABEXTENSION, join(dir, "data", "labextensions", "seglens"));
      mkdirSync(join(dir, "notebooks"));
      const cell = `import { explore } from "seglens";\nconst w = explore(${JSON.stringify(OPTIONS)});`;
      writeFileSync(join(dir, "notebooks", "lenses.ipynb"), notebook(cell));
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
      page = await browser.newPage({ viewport: { width: 1280, height: FIGURES ? 1200 : 1000 } });
      await openLab(page, lab, "lab/tree/lenses.ipynb");
      await page.locator(".jp-Notebook").waitFor({ timeout: 120_000 });
      await kernelIdle(page, "seglens");
    }, 360_000);

    afterAll(async () => {
      await browser?.close();
      await lab?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it("explore() shows clusters; the lens selector's PCA draws the kernel's PCA colours, with PC1–3 shares and K greyed out", async () => {
      if (!page) throw new Error(`no page; JupyterLab log:\n${lab?.log()}`);
      await page.evaluate(async () => {
        const lab = (
          globalThis as unknown as { jupyterapp: { commands: { execute(id: string): Promise<unknown> } } }
        ).jupyterapp;
        await lab.commands.execute("notebook:run-all-cells");
      });
      const explorer = page.locator(".seglens-explorer");
      await explorer.locator(".seglens-legend button").first().waitFor({ timeout: 240_000 });
      await vi.waitFor(
        async () => {
          const check = await lensCheck(page as Page);
          if (check?.lens !== "clusters" || check.provisional)
            throw new Error("no refined clusters frame yet");
        },
        { timeout: 240_000, interval: 200 },
      );
      await keep(explorer, page, "clusters");
      const toPca = Date.now();
      await explorer.getByLabel("Lens").selectOption("pca");
      const pca = await waitForLens(page, (c) => c.lens === "pca");
      logSwitch("clusters → PCA (first fit)", toPca);
      expect(pca.samples.length).toBeGreaterThan(0);
      await expect(explorer.locator(".seglens-layer-note").first().textContent()).resolves.toMatch(
        /^PC1–3 \d+%$/,
      );
      await expect(explorer.locator(".seglens-k").isDisabled()).resolves.toBe(true);
      await expect(explorer.locator(".seglens-legend").isVisible()).resolves.toBe(false);
      await keep(explorer, page, "pca");
    }, 600_000);

    it("the lens selector's Attention, then head 0 once the kernel knows the heads: the canvases show that head's colours; back to PCA", async () => {
      if (!page) throw new Error("no page");
      const explorer = page.locator(".seglens-explorer");
      const toAttention = Date.now();
      await explorer.getByLabel("Lens").selectOption("attention");
      const mean = await waitForLens(page, (c) => c.lens === "attention" && c.heads > 0);
      logSwitch("PCA → attention (rows extracted on first use)", toAttention);
      expect(mean.head).toBe("mean");
      const toHead = Date.now();
      await explorer.getByLabel("Head").selectOption("0");
      const head0 = await waitForLens(page, (c) => c.lens === "attention" && c.head === 0);
      logSwitch("mean → head 0", toHead);
      // Head 0 alone is not the mean over the heads.
      expect(head0.samples.map((s) => s.expected.join())).not.toEqual(
        mean.samples.map((s) => s.expected.join()),
      );
      await expect(explorer.locator(".seglens-lens-legend").textContent()).resolves.toContain("head 0");
      await expect(explorer.locator(".seglens-heat").isVisible()).resolves.toBe(true);
      await keep(explorer, page, "attention");
      // The colour bar and the greyed controls in the dark theme (a screenshot to look at).
      await setTheme(page, "JupyterLab Dark");
      await page.locator("#jupyterlab-splash").waitFor({ state: "detached", timeout: 60_000 });
      await page.screenshot({ path: join(ARTIFACTS, "jupyterlab-lens-attention-dark.png") });
      await setTheme(page, "JupyterLab Light");
      // Back to a setting seen before: served from what the kernel kept.
      const back = Date.now();
      await explorer.getByLabel("Lens").selectOption("pca");
      await waitForLens(page, (c) => c.lens === "pca");
      logSwitch("attention → PCA (kept)", back);
    }, 600_000);
  },
);
