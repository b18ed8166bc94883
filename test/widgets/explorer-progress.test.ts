import { describe, expect, it } from "vitest";
import { PALETTE } from "../../src/render/palette";
import { browserSkipReason, useExplorerPages } from "./browser-page";

// The view while the kernel still works: provisional frames, frames with only the first layers
// ready, and the performance marks a benchmark reads; and the repaint of a realistic page.
const skipReason = browserSkipReason();

/** The part of a DOM canvas the page-side checks use (the Node typecheck has no DOM lib). */
interface PageCanvas {
  height: number;
  getContext(
    type: "2d",
  ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

const rgb = (label: number) => [...(PALETTE[label] as readonly number[]), 255];

describe.skipIf(skipReason !== null)(
  `ExplorerView progress in Chromium${skipReason ? ` (${skipReason})` : ""}`,
  { timeout: 180_000 },
  () => {
    const open = useExplorerPages();

    it("a provisional frame says refining… and marks the root seglens-provisional; the refined frame clears both", async () => {
      const { page, call, screenshot } = await open({ provisional: true });
      const root = page.locator(".seglens-explorer");
      await expect(root.getAttribute("class")).resolves.toMatch(/\bseglens-provisional\b/);
      await expect(page.locator(".seglens-refining").isVisible()).resolves.toBe(true);
      await expect(page.locator(".seglens-refining").textContent()).resolves.toBe("refining…");
      await screenshot("explorer-provisional");
      await call("updateFrame", { provisional: false });
      await expect(root.getAttribute("class")).resolves.not.toMatch(/\bseglens-provisional\b/);
      await expect(page.locator(".seglens-refining").isVisible()).resolves.toBe(false);
    });

    it("a frame with layers_ready 1 of 3 draws layer 1's clusters and only the image in layers 2 and 3, marked pending", async () => {
      const { page, call } = await open({ layersReady: 1, opacity: 1 });
      await expect(call("pixel", 0, 1, 3, 3)).resolves.toEqual(rgb(0));
      // layer 2's label at (0,0) is cluster 0 too, but nothing is drawn over its image yet
      const image = await call("pixel", 0, 2, 3, 3);
      expect(image).not.toEqual(rgb(0));
      const pending = await page
        .locator(".seglens-panel")
        .evaluateAll((els) => els.map((e) => e.classList.contains("seglens-pending")));
      expect(pending).toEqual([false, true, true]);
      await call("updateFrame", { opacity: 1 });
      await expect(call("pixel", 0, 2, 3, 3)).resolves.toEqual(rgb(0));
      await expect(page.locator(".seglens-pending").count()).resolves.toBe(0);
    });

    it("each frame marks seglens:frame-received, -decoded, -drawn and -painted, in that order, with its k", async () => {
      const { call } = await open({});
      await call("waitForMarks", "seglens:frame-painted", 1);
      await call("updateFrame", { k: 6, provisional: true });
      await call("waitForMarks", "seglens:frame-painted", 2);
      const marks = (await call("marks")).slice(-4);
      expect(marks.map((m) => [m.name, m.detail])).toEqual([
        ["seglens:frame-received", { k: 6, provisional: true }],
        ["seglens:frame-decoded", { k: 6, provisional: true }],
        ["seglens:frame-drawn", { k: 6, provisional: true, layers_ready: 3 }],
        ["seglens:frame-painted", { k: 6, provisional: true, layers_ready: 3 }],
      ]);
      const times = marks.map((m) => m.startTime);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it("status updates while the kernel works leave the legend untouched", async () => {
      const { page, call } = await open({});
      await page.locator(".seglens-legend").evaluate((legend) => {
        // The Node typecheck has no DOM lib: the page's MutationObserver, typed by hand.
        type Observer = new (cb: (list: unknown[]) => void) => { observe(el: unknown, o: object): void };
        const g = globalThis as unknown as { MutationObserver: Observer; legendRecords: unknown[] };
        g.legendRecords = [];
        new g.MutationObserver((list) => g.legendRecords.push(...list)).observe(legend, {
          attributes: true,
          childList: true,
          subtree: true,
        });
      });
      for (const done of [1, 2, 3])
        await call("update", { status: { kind: "loading", stage: "kmeans", done, total: 3 } });
      await call("update", { status: { kind: "ready" } });
      const records = await page.evaluate(
        () => (globalThis as unknown as { legendRecords: unknown[] }).legendRecords.length,
      );
      expect(records).toBe(0);
    });

    it("16 images × 12 layers at 224 px: one canvas per panel; a K change repaints all 12 in place, only the legend's difference changes", async () => {
      const big = {
        layerCount: 12,
        imageCount: 16,
        pageSize: 16,
        gridSide: 14,
        imageSize: 224,
        allImages: true,
      };
      const { page, call } = await open({ ...big, k: 6 });
      await expect(page.locator(".seglens-panel canvas").count()).resolves.toBe(12);
      await expect(page.locator(".seglens-panel .seglens-cell").count()).resolves.toBe(192);
      await call("waitForMarks", "seglens:frame-painted", 1);
      // Tag the canvases and legend buttons: a rebuild would drop the tags.
      await page.locator(".seglens-panel canvas, .seglens-legend button").evaluateAll((els) => {
        for (const el of els) el.setAttribute("data-kept", "");
      });
      const repaints: number[] = [];
      for (const [i, k] of [8, 5, 12, 4, 7].entries()) {
        await call("updateFrame", { ...big, k, frameOnly: true });
        await call("waitForMarks", "seglens:frame-painted", i + 2);
        const marks = await call("marks");
        const last = (name: string) => marks.filter((m) => m.name === name).at(-1)?.startTime ?? Number.NaN;
        repaints.push(last("seglens:frame-painted") - last("seglens:frame-received"));
        await expect(page.locator(".seglens-legend button").count()).resolves.toBe(k);
      }
      console.log(
        `[seglens] 16 × 12 images: received → painted ${repaints.map((t) => t.toFixed(1)).join(" ")} ms`,
      );
      await expect(page.locator(".seglens-panel canvas:not([data-kept])").count()).resolves.toBe(0);
      await expect(page.locator(".seglens-legend button[data-kept]").count()).resolves.toBe(4);
      // Every image of a panel is drawn in its own block: at opacity 1 each block's first grid cell
      // is cluster 0's colour, and the gaps between the blocks stay transparent.
      const canvas = page.locator('.seglens-panel[data-layer="12"] canvas');
      const blocks = await canvas.evaluate((c) => {
        const element = c as unknown as PageCanvas;
        const context = element.getContext("2d");
        const at = (y: number) => [...(context?.getImageData(2, y, 1, 1).data ?? [])];
        const step = (element.height + 4) / 16; // the gap: 4 CSS px at 128 px, here 1:1
        return Array.from({ length: 16 }, (_, i) => [
          at(Math.round(i * step) + 2),
          at(Math.round(i * step) - 2),
        ]);
      });
      for (const [i, [inside, gap]] of blocks.entries()) {
        expect(inside).toEqual(rgb(0));
        if (i > 0) expect(gap).toEqual([0, 0, 0, 0]);
      }
      // The image frames (DOM) sit over the blocks: the 16th frame starts where the 16th block does.
      const [box, last] = await Promise.all([
        canvas.boundingBox(),
        page.locator('.seglens-panel[data-layer="12"] .seglens-cell').last().boundingBox(),
      ]);
      if (!box || !last) throw new Error("no canvas or cell box");
      // Within a pixel: panel widths are fractions of the cell's width, so block edges fall between pixels.
      expect(Math.abs(last.y - box.y - (15 * (box.height + 4)) / 16)).toBeLessThan(1);
    });
  },
);
