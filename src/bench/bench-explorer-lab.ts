/**
 * The explorer's latency as a user sees it: a K change made in the widget's slider in a
 * real JupyterLab in headless Chromium, through the comm to the seglens kernel (k-means on cached
 * ViT-S/16 features of 8 photos), back to the browser, until the new frame is drawn.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { installKernelspec } from "../kernel/kernelspec";
import { installLabextension, LABEXTENSION_SOURCE } from "../kernel/labextension";
import { eightPhotos, percentile } from "./bench-explorer";
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
const K_SEQUENCE = [3, 8, 5, 12, 4, 7, 6, 10, 2, 9, 11, 6, 5, 8, 3, 4, 7, 12, 9, 6];
/**
 * Pause between changes, as a user looking at each result. Shorter than the static PNG's wait (3 s
 * of rest), so its rendering and JupyterLab's re-render of the updated display stay out of the
 * sequence, as they do while a user keeps moving the slider.
 */
const PAUSE_MS = 2500;

/** Why this benchmark cannot run here, or null. */
function missing(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (apt-get install chromium)`;
  if (!existsSync(join(LAB_VENV, "bin", "jupyter")))
    return `no JupyterLab venv at ${LAB_VENV} (widgets/build.sh)`;
  if (!existsSync(join(LABEXTENSION_SOURCE, "package.json")))
    return "the labextension is not built (widgets/build.sh)";
  return null;
}

/**
 * Sets the K slider in the page as the user's release does (value, then `input` and `change`)
 * and resolves with the ms until the frame of that K is drawn: the legend holds `k` clusters and
 * the browser has painted (a task after the next animation frame).
 */
function kChangeInPage(k: number): Promise<number> {
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
  const root = doc.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden) .seglens-explorer");
  const slider = root?.querySelector(".seglens-k");
  const legend = root?.querySelector(".seglens-legend");
  if (!slider || !legend) return Promise.reject(new Error("no explorer in the page"));
  return new Promise((done, fail) => {
    const start = performance.now();
    const timer = setTimeout(() => fail(new Error(`no frame with K = ${k} within 30 s`)), 30_000);
    const observer = new g.MutationObserver(() => {
      if (legend.querySelectorAll("button").length !== k) return;
      observer.disconnect();
      clearTimeout(timer);
      g.requestAnimationFrame(() => setTimeout(() => done(performance.now() - start), 0));
    });
    observer.observe(legend, { childList: true, subtree: true });
    slider.value = String(k);
    slider.dispatchEvent(new g.Event("input", { bubbles: true }));
    slider.dispatchEvent(new g.Event("change", { bubbles: true }));
  });
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
  const photos = await eightPhotos(dir);
  // The same explorer twice: K changes on cached features only, and with the other Ks precomputed.
  for (const precompute of [false, true]) {
    const cell = `import { explore } from "seglens";
const w = explore({ model: ${JSON.stringify(model)}, images: ${JSON.stringify(photos)}, k: 6, precompute: ${precompute} });`;
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
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await openLab(page, lab, "lab");
    const results: BenchResult[] = [];
    for (const precompute of [false, true]) {
      await labCommand(page, "docmanager:open", { path: `bench-${precompute}.ipynb` });
      await kernelIdle(page, "seglens");
      const opened = performance.now();
      await labCommand(page, "notebook:run-all-cells");
      const active = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)");
      await active.locator(".seglens-panel").nth(11).waitFor({ timeout: 120_000 });
      await active.locator(".seglens-legend button").nth(5).waitFor({ timeout: 120_000 });
      const firstFrame = performance.now() - opened;
      await page.waitForTimeout(PAUSE_MS);
      const times: number[] = [];
      for (const k of K_SEQUENCE) {
        times.push(await page.evaluate(kChangeInPage, k));
        await page.waitForTimeout(PAUSE_MS);
      }
      const what = precompute ? "other Ks precomputed while idle (default)" : "k-means on each change";
      log(`K change → frame drawn in JupyterLab, ${what} (ms): ${times.map((t) => t.toFixed(0)).join(" ")}`);
      if (!precompute) {
        results.push({
          name: "explorer in JupyterLab: run cell → first frame drawn, ViT-S/16, 8 photos (cold features)",
          value: firstFrame,
          unit: "ms",
        });
      }
      for (const [p, label] of [
        [0.5, "median"],
        [0.95, "p95"],
      ] as const) {
        results.push({
          name: `explorer in JupyterLab: K change → new frame drawn, ${what}, ${label} of ${times.length}`,
          value: percentile(times, p),
          unit: "ms",
        });
      }
    }
    return results;
  } finally {
    await browser.close();
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
