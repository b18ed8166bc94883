/**
 * The explorer's latency as a user sees it: a K change made in the widget's slider in a
 * real JupyterLab in headless Chromium, through the comm to the seglens kernel (k-means on cached
 * ViT-S/16 features of 16 photos, all 12 layers, all 16 images shown), back to the browser, until
 * the new frame is drawn; and where the time goes, from the view's performance marks.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { installKernelspec } from "../kernel/kernelspec";
import { installLabextension, LABEXTENSION_SOURCE } from "../kernel/labextension";
import { benchPhotos, EXPLORER_IMAGES, K_CHANGES, medianAndWorst, percentile } from "./bench-explorer";
import type { BenchResult } from "./bench-result";
import { ensureBenchVit } from "./bench-vit";
import {
  CHROMIUM,
  kernelIdle,
  LAB_VENV,
  labArgs,
  labCommand,
  labEnv,
  launchChromium,
  openLab,
  startServer,
} from "./lab-driver";

const REPO = resolve(__dirname, "..", "..");
const LAYERS = 12;
/**
 * Pause between changes (after the refined frame), as a user looking at each result. Shorter than
 * the static PNG's wait (3 s of rest), so its rendering and JupyterLab's re-render of the updated
 * display stay out of the sequence, as they do while a user keeps moving the slider.
 */
const PAUSE_MS = 2500;

/** One K change as the page saw it: ms since the slider was set. */
interface KChange {
  /** The legend holds K clusters and the browser has painted: what the user waits for. */
  shown: number;
  /** The refined frame (not provisional, every layer) of that K is painted. */
  refined: number;
  /** The view's marks of the first frame of that K (binary.ts, explorer-view.ts). */
  received: number;
  decoded: number;
  drawn: number;
  painted: number;
  /** The kernel's time for that frame, when the frame says (`timing.compute_ms`). */
  computeMs: number | null;
  provisional: boolean;
}

/** The first frame as the page saw it: ms since the cell was run. */
interface FirstFrame {
  /** The first frame painted, whatever its layers. */
  first: number;
  /** The frame with every layer, not provisional, painted. */
  full: number;
}

/** Why this benchmark cannot run here, or null. */
function missing(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (apt-get install chromium)`;
  if (!existsSync(join(LAB_VENV, "bin", "jupyter")))
    return `no JupyterLab venv at ${LAB_VENV} (widgets/build.sh)`;
  if (!existsSync(join(LABEXTENSION_SOURCE, "package.json")))
    return "the labextension is not built (widgets/build.sh)";
  return null;
}

type Mark = { name: string; startTime: number; detail: Record<string, unknown> | null };
type Painted = (done: (detail: Record<string, unknown>) => boolean, timeoutMs: number) => Promise<number>;

/**
 * Installs `globalThis.seglensPainted(done, timeoutMs)` in the page: resolves once a
 * `seglens:frame-painted` mark's detail satisfies `done`, with the mark's time (event-driven, a
 * PerformanceObserver); rejects after `timeoutMs`.
 */
function installPaintedWaiter(): void {
  const painted: Painted = (done, timeoutMs) => {
    const found = () =>
      (performance.getEntriesByName("seglens:frame-painted", "mark") as unknown as Mark[]).find(
        (m) => m.detail !== null && done(m.detail),
      );
    return new Promise((resolve, reject) => {
      const now = found();
      if (now) return resolve(now.startTime);
      const timer = setTimeout(
        () => reject(new Error(`no such frame painted within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const observer = new PerformanceObserver(() => {
        const mark = found();
        if (!mark) return;
        observer.disconnect();
        clearTimeout(timer);
        resolve(mark.startTime);
      });
      observer.observe({ type: "mark" });
    });
  };
  (globalThis as unknown as { seglensPainted: Painted }).seglensPainted = painted;
}

/**
 * Sets the K slider in the page as the user's release does (value, then `input` and `change`) and
 * resolves once the refined frame is painted, with when the K clusters were first shown (the
 * legend holds `k` clusters and the browser has painted: a task after the next animation frame)
 * and the view's marks of that first frame.
 */
async function kChangeInPage([k, layers]: [number, number]): Promise<KChange> {
  type El = {
    querySelector(s: string): El | null;
    querySelectorAll(s: string): { length: number };
    value: string;
    dispatchEvent(e: unknown): void;
  };
  const doc = (globalThis as unknown as { document: El }).document;
  const g = globalThis as unknown as {
    MutationObserver: new (cb: () => void) => { observe(el: El, o: object): void; disconnect(): void };
    Event: new (type: string, init: object) => unknown;
    requestAnimationFrame(cb: () => void): void;
  };
  // The legend is looked up on each change: a display update (the static PNG) makes JupyterLab
  // replace the view, and the K clusters may then appear in the new one.
  const panel = doc.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden)");
  const slider = panel?.querySelector(".seglens-explorer .seglens-k");
  if (!panel || !slider) throw new Error("no explorer in the page");
  const shownK = () =>
    panel.querySelector(".seglens-explorer .seglens-legend")?.querySelectorAll("button").length;
  for (const name of ["received", "decoded", "drawn", "painted"])
    performance.clearMarks(`seglens:frame-${name}`);
  const painted = (globalThis as unknown as { seglensPainted: Painted }).seglensPainted;
  const start = performance.now();
  const shown = new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no frame with K = ${k} within 60 s`)), 60_000);
    const observer = new g.MutationObserver(() => {
      if (shownK() !== k) return;
      observer.disconnect();
      clearTimeout(timer);
      g.requestAnimationFrame(() => setTimeout(() => done(performance.now() - start), 0));
    });
    observer.observe(panel, { childList: true, subtree: true });
  });
  const refined = painted((d) => d.k === k && d.provisional === false && d.layers_ready === layers, 120_000);
  slider.value = String(k);
  slider.dispatchEvent(new g.Event("input", { bubbles: true }));
  slider.dispatchEvent(new g.Event("change", { bubbles: true }));
  const [shownMs, refinedAt] = await Promise.all([shown, refined]);
  const firstOf = (name: string) =>
    (performance.getEntriesByName(`seglens:frame-${name}`, "mark") as unknown as Mark[]).find(
      (m) => m.detail?.k === k,
    );
  const at = (name: string) => (firstOf(name)?.startTime ?? Number.NaN) - start;
  const detail = firstOf("decoded")?.detail ?? {};
  return {
    shown: shownMs,
    refined: refinedAt - start,
    received: at("received"),
    decoded: at("decoded"),
    drawn: at("drawn"),
    painted: at("painted"),
    computeMs: typeof detail.compute_ms === "number" ? detail.compute_ms : null,
    provisional: detail.provisional === true,
  };
}

/**
 * Whether the active notebook's first output carries the static PNG: the kernel's display update,
 * after which JupyterLab renders the widget anew (a moment to keep out of the timed changes).
 */
function staticPngShown(): boolean {
  type Output = { data: Record<string, unknown> };
  type Model = { cells: { get(i: number): { outputs?: { length: number; get(i: number): Output } } } };
  const lab = (
    globalThis as unknown as { jupyterapp: { shell: { currentWidget?: { content?: { model?: Model } } } } }
  ).jupyterapp;
  const outputs = lab.shell.currentWidget?.content?.model?.cells.get(0).outputs;
  return outputs !== undefined && outputs.length > 0 && "image/png" in outputs.get(0).data;
}

/** Runs the notebook's cells from the page and resolves with when its first and full frames were painted. */
async function firstFrameInPage(layers: number): Promise<FirstFrame> {
  for (const name of ["received", "decoded", "drawn", "painted"])
    performance.clearMarks(`seglens:frame-${name}`);
  const painted = (globalThis as unknown as { seglensPainted: Painted }).seglensPainted;
  const lab = (
    globalThis as unknown as { jupyterapp: { commands: { execute(id: string): Promise<unknown> } } }
  ).jupyterapp;
  const start = performance.now();
  void lab.commands.execute("notebook:run-all-cells");
  const first = painted(() => true, 300_000);
  const full = painted((d) => d.provisional === false && d.layers_ready === layers, 300_000);
  return { first: (await first) - start, full: (await full) - start };
}

/** The median of each part of `changes` (ms), for the log and the results. */
function breakdown(changes: KChange[]): Record<string, number> {
  const median = (f: (c: KChange) => number) => percentile(changes.map(f), 0.5);
  const parts: Record<string, number> = {
    "key press → frame received in the view": median((c) => c.received),
    "decode (view unpacks the frame)": median((c) => c.decoded - c.received),
    "draw (state change → canvases drawn)": median((c) => c.drawn - c.decoded),
    "paint (canvases drawn → painted)": median((c) => c.painted - c.drawn),
  };
  const computed = changes.filter((c) => c.computeMs !== null).map((c) => c.computeMs as number);
  if (computed.length === changes.length)
    parts["kernel compute (frame's timing.compute_ms)"] = percentile(computed, 0.5);
  return parts;
}

export async function benchExplorerLab(log: (line: string) => void): Promise<BenchResult[]> {
  const reason = missing();
  if (reason !== null) {
    log(`explorer in JupyterLab skipped: ${reason}`);
    return [];
  }
  const model = ensureBenchVit(join(REPO, "models", "bench"), "vit-small-patch16");
  const dir = mkdtempSync(join(tmpdir(), "seglens-bench-lab-"));
  const prefix = join(dir, "prefix");
  installKernelspec({ scope: { kind: "prefix", prefix } });
  installLabextension({ scope: { kind: "prefix", prefix } });
  mkdirSync(join(dir, "notebooks"));
  const photos = await benchPhotos(dir, EXPLORER_IMAGES);
  // The same explorer twice: K changes that each wait for k-means, and with the other Ks precomputed.
  for (const precompute of [false, true]) {
    const cell = `import { explore } from "seglens";
const w = explore({ model: ${JSON.stringify(model)}, images: ${JSON.stringify(photos)}, k: 6, pageSize: ${EXPLORER_IMAGES}, image: "all", precompute: ${precompute} });`;
    writeFileSync(
      join(dir, "notebooks", `bench-${precompute}.ipynb`),
      JSON.stringify({
        cells: [{ cell_type: "code", metadata: {}, source: cell, outputs: [], execution_count: null }],
        metadata: {
          kernelspec: { name: "seglens", display_name: "TypeScript (seglens)", language: "typescript" },
        },
        nbformat: 4,
        nbformat_minor: 5,
      }),
    );
  }
  const lab = await startServer(
    join(LAB_VENV, "bin", "jupyter"),
    ["lab", ...labArgs(), `--ServerApp.root_dir=${join(dir, "notebooks")}`],
    { env: labEnv(dir, prefix) },
  );
  const browser = await launchChromium();
  const set = `ViT-S/16, ${EXPLORER_IMAGES} photos all shown, ${LAYERS} layers`;
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await openLab(page, lab, "lab");
    await page.evaluate(installPaintedWaiter);
    const results: BenchResult[] = [];
    for (const precompute of [false, true]) {
      await labCommand(page, "docmanager:open", { path: `bench-${precompute}.ipynb` });
      await kernelIdle(page, "seglens");
      const first = await page.evaluate(firstFrameInPage, LAYERS);
      // One cell per image and layer (each panel draws its images on one canvas).
      const cells = await page
        .locator(".jp-NotebookPanel:not(.lm-mod-hidden) .seglens-panel .seglens-cell")
        .count();
      if (cells !== EXPLORER_IMAGES * LAYERS)
        throw new Error(`the explorer shows ${cells} image cells; expected ${EXPLORER_IMAGES * LAYERS}`);
      await page.waitForFunction(staticPngShown, undefined, { timeout: 120_000 });
      await page.waitForTimeout(PAUSE_MS);
      const changes: KChange[] = [];
      for (const k of K_CHANGES) {
        changes.push(await page.evaluate(kChangeInPage, [k, LAYERS] as [number, number]));
        await page.waitForTimeout(PAUSE_MS);
      }
      const what = precompute ? "other Ks precomputed while idle" : "precompute: false";
      log(`K change → K clusters shown, ${what} (ms): ${changes.map((c) => c.shown.toFixed(0)).join(" ")}`);
      log(`  → refined frame painted (ms): ${changes.map((c) => c.refined.toFixed(0)).join(" ")}`);
      const parts = breakdown(changes);
      for (const [part, ms] of Object.entries(parts)) log(`  median ${part}: ${ms.toFixed(1)} ms`);
      if (!precompute) {
        results.push(
          {
            name: `explorer in JupyterLab: run cell → first frame drawn, ${set} (cold features)`,
            value: first.first,
            unit: "ms",
          },
          {
            name: `explorer in JupyterLab: run cell → every layer drawn, refined, ${set}`,
            value: first.full,
            unit: "ms",
          },
        );
      }
      const name = `explorer in JupyterLab: K change → repainted with K clusters, ${set}, ${what}`;
      results.push(
        ...medianAndWorst(
          name,
          changes.map((c) => c.shown),
        ),
      );
      results.push(
        ...medianAndWorst(
          `explorer in JupyterLab: K change → refined frame painted, ${what}`,
          changes.map((c) => c.refined),
        ),
      );
      if (!precompute) {
        for (const [part, ms] of Object.entries(parts))
          results.push({ name: `explorer in JupyterLab: K change, ${part}, median`, value: ms, unit: "ms" });
      }
    }
    return results;
  } finally {
    await browser.close();
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
