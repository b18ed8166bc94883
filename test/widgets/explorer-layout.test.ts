// The explorer's layout and its keyboard in Chromium: layers across a grid that fits the width,
// sticky headers and labels, the image switch, labels-only, the focus order, the chart's range.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { Box } from "../../widgets/test/harness-api";
import { browserSkipReason, useExplorerPages } from "./browser-page";

const skipReason = browserSkipReason();
if (skipReason) console.warn(`[seglens] ${skipReason}`);

/** Page boxes of the elements matching `selector`. */
function boxes(page: Page, selector: string): Promise<Box[]> {
  return page.locator(selector).evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    }),
  );
}

/** The panel area's scroll geometry. */
function scrollerGeometry(page: Page) {
  return page.locator(".seglens-panels").evaluate((el) => ({
    clientWidth: el.clientWidth,
    scrollWidth: el.scrollWidth,
    clientHeight: el.clientHeight,
    scrollHeight: el.scrollHeight,
  }));
}

const overlap = (a: Box, b: Box) =>
  a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/** The explorer's state updates sent so far. */
async function updates(call: (method: "sent") => Promise<{ method: string; state?: unknown }[]>) {
  return (await call("sent")).filter((m) => m.method === "update").map((m) => m.state);
}

/** JupyterLab's dark theme's main variables (values of theme-dark-extension), on :root. */
const DARK = `:root { --jp-ui-font-color1: rgba(255,255,255,0.87); --jp-ui-font-color2: rgba(255,255,255,0.54);
  --jp-layout-color0: #111111; --jp-layout-color1: #212121; --jp-layout-color2: #424242;
  --jp-border-color1: #616161; --jp-border-color2: #424242; --jp-brand-color1: #1976d2; }
  body { background: #111111; }`;

describe.skipIf(skipReason !== null)(
  `Explorer layout and keyboard in Chromium${skipReason ? ` (${skipReason})` : ""}`,
  { timeout: 180_000 },
  () => {
    const open = useExplorerPages();

    it("12 layers in a 1000 px page: one row of panels 48–224 px wide, no sideways scroll, headers L1…L12 above", async () => {
      const { page, screenshot } = await open({ layerCount: 12, imageSize: 224, gridSide: 16, opacity: 0.6 });
      const panels = await boxes(page, ".seglens-panel");
      expect(panels).toHaveLength(12);
      expect(new Set(panels.map((b) => Math.round(b.top))).size).toBe(1); // not wrapped
      for (const b of panels) {
        expect(b.right - b.left).toBeGreaterThanOrEqual(48);
        expect(b.right - b.left).toBeLessThanOrEqual(224);
      }
      const geometry = await scrollerGeometry(page);
      expect(geometry.scrollWidth).toBeLessThanOrEqual(geometry.clientWidth);
      await expect(page.locator(".seglens-layer-head").allTextContents()).resolves.toEqual(
        Array.from({ length: 12 }, (_, i) => `L${i + 1}`),
      );
      const heads = await boxes(page, ".seglens-layer-head");
      expect(Math.max(...heads.map((b) => b.bottom))).toBeLessThanOrEqual(
        Math.min(...panels.map((b) => b.top)),
      );
      await screenshot("layout-12-layers-light");
    });

    it("3 layers use the width: panels grow past the old 128 px, up to 224 px", async () => {
      const { page } = await open({ imageSize: 224, gridSide: 16 });
      await expect
        .poll(async () => (await boxes(page, ".seglens-panel")).map((b) => Math.round(b.right - b.left)))
        .toEqual([224, 224, 224]);
    });

    it("a frame with 12 layers after one with 3 redraws the canvases for the narrower columns", async () => {
      const { page, call } = await open({ imageSize: 224, gridSide: 16 });
      const widths = () =>
        page
          .locator(".seglens-panel canvas")
          .evaluateAll((cs) => cs.map((c) => (c as unknown as { width: number }).width));
      await expect.poll(widths).toEqual([224, 224, 224]);
      await call("updateFrame", { imageSize: 224, gridSide: 16, layerCount: 12 });
      const narrow = await widths();
      expect(narrow).toHaveLength(12);
      // drawn at most a rounding step (16 px) wider than shown, not at the 3-layer width
      const shown = await boxes(page, ".seglens-panel canvas");
      for (const [i, width] of narrow.entries()) {
        const box = shown[i] as Box;
        expect(width).toBeLessThan(box.right - box.left + 16);
      }
    });

    it("12 layers in a 480 px page: 48 px panels, the panel area scrolls sideways, image names and model title stay at its left edge", async () => {
      const { page, screenshot } = await open({ layerCount: 12, models: 2 }, (empty) =>
        empty.setViewportSize({ width: 480, height: 800 }),
      );
      await expect
        .poll(async () => (await boxes(page, ".seglens-panel")).map((b) => Math.round(b.right - b.left)))
        .toEqual(Array(24).fill(48));
      const before = await scrollerGeometry(page);
      expect(before.scrollWidth).toBeGreaterThan(before.clientWidth);
      const [scroller] = await boxes(page, ".seglens-panels");
      await page.locator(".seglens-panels").evaluate((el) => {
        el.scrollLeft = el.scrollWidth;
      });
      const labels = await boxes(page, ".seglens-image-labels");
      const titles = await boxes(page, ".seglens-row-title span");
      for (const b of [...labels, ...titles])
        expect(Math.round(b.left)).toBe(Math.round(scroller?.left ?? -1));
      const lastPanel = (await boxes(page, ".seglens-panel")).at(-1);
      expect(lastPanel?.right).toBeLessThanOrEqual((scroller?.right ?? 0) + 1);
      await screenshot("layout-narrow-scrolled");
    });

    it("all 12 images of 12 layers: the layer headers stay on top of the panel area while it scrolls down", async () => {
      const { page, screenshot } = await open({
        layerCount: 12,
        imageCount: 12,
        allImages: true,
        imageSize: 64,
      });
      const geometry = await scrollerGeometry(page);
      expect(geometry.scrollHeight).toBeGreaterThan(geometry.clientHeight);
      await page.locator(".seglens-panels").evaluate((el) => {
        el.scrollTop = 400;
      });
      const [scroller] = await boxes(page, ".seglens-panels");
      const heads = await boxes(page, ".seglens-layer-head");
      for (const b of heads) expect(Math.round(b.top)).toBe(Math.round(scroller?.top ?? -1));
      await screenshot("layout-sticky-headers");
    });

    it("every image row is labelled with its number and name, every model block with the model", async () => {
      const { page } = await open({ models: 2, imageCount: 3, allImages: true });
      await expect(page.locator(".seglens-row-title").allTextContents()).resolves.toEqual([
        "tiny-a",
        "tiny-b",
      ]);
      const names = await page
        .locator(".seglens-row")
        .evaluateAll((rows) =>
          rows.map((row) => [...row.querySelectorAll(".seglens-image-label")].map((l) => l.textContent)),
        );
      expect(names).toEqual([
        ["1: img-1.png", "2: img-2.png", "3: img-3.png"],
        ["1: img-1.png", "2: img-2.png", "3: img-3.png"],
      ]);
      // each name beside its image: the label's top is the image cell's top
      const labels = await boxes(page, '.seglens-row[data-model-index="1"] .seglens-image-label');
      const cells = await boxes(
        page,
        '.seglens-row[data-model-index="1"] .seglens-panel[data-layer="1"] .seglens-cell',
      );
      expect(labels.map((b) => Math.round(b.top))).toEqual(cells.map((b) => Math.round(b.top)));
    });

    it("models of other depths: each column's header names every model's own block", async () => {
      const { page } = await open({
        models: 2,
        modelLayers: [
          [1, 2, 3],
          [2, 4, 6],
        ],
      });
      await expect(page.locator(".seglens-layer-head").allTextContents()).resolves.toEqual([
        "L1 · L2",
        "L2 · L4",
        "L3 · L6",
      ]);
    });

    it("image keys on the panel area: → and j show the next image, ← and k the previous, across pages; a toggles all images", async () => {
      const { page, call } = await open({ imageCount: 5, pageSize: 3 });
      await page.locator(".seglens-panels").focus();
      // The model's state after each key: ipywidgets merges the updates made while one is in
      // flight, so the messages alone do not show every step.
      const steps: [string, unknown, unknown][] = [
        ["ArrowRight", 1, 0],
        ["j", 2, 0],
        ["j", 3, 1], // image 4 is on the second page of 3
        ["k", 2, 0],
        ["ArrowLeft", 1, 0],
        ["a", "all", 0],
        ["a", 1, 0],
      ];
      for (const [key, image, pageIndex] of steps) {
        await page.keyboard.press(key);
        expect([key, await call("get", "image"), await call("get", "page")]).toEqual([key, image, pageIndex]);
      }
      await expect.poll(async () => (await updates(call)).at(-1)).toEqual({ image: 1 });
      await expect(page.locator(".seglens-switch-text").textContent()).resolves.toBe(
        "image 2 of 5: img-2.png",
      );
      // Keys typed into an input stay the input's.
      await page.locator(".seglens-k").focus();
      const sent = (await updates(call)).length;
      await page.keyboard.press("j");
      await expect(call("get", "image")).resolves.toBe(1);
      expect(await updates(call)).toHaveLength(sent);
    });

    it("the All images button shows all of the page's images in every panel, pressed again the image shown before", async () => {
      const { page, call } = await open({ imageCount: 3 });
      const all = page.getByRole("button", { name: "All images" });
      await all.click();
      await expect(all.getAttribute("aria-pressed")).resolves.toBe("true");
      await expect(page.locator('.seglens-panel[data-layer="1"] .seglens-cell').count()).resolves.toBe(3);
      await all.click();
      await expect(call("get", "image")).resolves.toBe(0);
      await expect(page.locator('.seglens-panel[data-layer="1"] .seglens-cell').count()).resolves.toBe(1);
    });

    it("Labels only sets opacity 1; unticked, the opacity before comes back", async () => {
      const { page, call } = await open({ opacity: 0.4 });
      const box = page.getByRole("checkbox", { name: "Labels only" });
      await expect(box.isChecked()).resolves.toBe(false);
      await box.check();
      await expect(call("get", "opacity")).resolves.toBe(1);
      await expect(page.locator(".seglens-opacity").inputValue()).resolves.toBe("1");
      await box.uncheck();
      await expect(call("get", "opacity")).resolves.toBe(0.4);
      expect(await updates(call)).toEqual([{ opacity: 1 }, { opacity: 0.4 }]);
    });

    it("Tab reaches every control in order, each with an accessible name", async () => {
      const { page } = await open({ imageCount: 30, pageSize: 12 });
      await page.locator(".seglens-models input").first().focus();
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) {
        const name = await page.evaluate(() => {
          const el = (globalThis as unknown as { document: { activeElement: unknown } }).document
            .activeElement as {
            tagName: string;
            getAttribute(n: string): string | null;
            closest(s: string): { textContent: string | null } | null;
            textContent: string | null;
          };
          const label = el.getAttribute("aria-label") ?? el.closest("label")?.textContent ?? el.textContent;
          return `${el.tagName.toLowerCase()}:${(label ?? "").trim()}`;
        });
        if (seen.includes(name) || name.startsWith("body:")) break;
        seen.push(name);
        await page.keyboard.press("Tab");
      }
      for (const name of seen) expect(name).toMatch(/^[a-z]+:\S/);
      const order = [
        "input:tiny-a",
        "input:K",
        "select:Representation",
        "input:First layer",
        "input:Last layer",
        "select:Image",
        "input:Opacity",
        "input:Labels only",
        "input:L2-normalize",
        "input:Page",
        "button:Next ▶",
        "button:Next image (→ or j)",
        "button:All images",
        "button:Export PNG",
        "button:Export SVG",
        "div:Layer panels (← → or j k: previous or next image; a: all images or one)",
        "button:cluster 0",
      ];
      const at = order.map((name) => seen.indexOf(name));
      expect(at.every((i) => i >= 0)).toBe(true);
      expect([...at].sort((a, b) => a - b)).toEqual(at);
    });

    it("the chart's y-axis reaches a PB of −0.4; the axis title and the legend do not overlap, with one model or three", async () => {
      const { call } = await open({ pbShift: -0.5 });
      const one = await call("chartGeometry");
      expect(one.yRange[0]).toBeLessThanOrEqual(-0.45);
      expect(one.xTitle && one.legend && overlap(one.xTitle, one.legend)).toBe(false);
      expect(one.ticks).toEqual(["L1", "L2", "L3"]);
      await call("updateFrame", { models: 3, pbShift: -0.5 });
      await expect.poll(async () => (await call("chartGeometry")).yRange[0]).toBeLessThanOrEqual(-0.45);
      const three = await call("chartGeometry");
      expect(three.xTitle && three.legend && overlap(three.xTitle, three.legend)).toBe(false);
      expect(three.plot && three.legend && overlap(three.plot, three.legend)).toBe(false);
    });

    it("light and dark themes: the controls and the grid take JupyterLab's colours (screenshots kept)", async () => {
      const light = await open({ layerCount: 12, models: 2, opacity: 0.6 });
      await light.call("chartTraces");
      await light.screenshot("theme-light");
      await light.page.close(); // the suite closes the page opened last
      const dark = await open({ layerCount: 12, models: 2, opacity: 0.6 }, (empty) =>
        empty.addStyleTag({ content: DARK }),
      );
      await dark.call("chartTraces");
      const colours = await dark.page
        .locator(".seglens-layer-head")
        .first()
        .evaluate((el) => {
          type Styled = { getComputedStyle(element: unknown): { color: string; backgroundColor: string } };
          const style = (globalThis as unknown as Styled).getComputedStyle(el);
          return [style.color, style.backgroundColor];
        });
      expect(colours).toEqual(["rgba(255, 255, 255, 0.87)", "rgb(17, 17, 17)"]);
      await dark.screenshot("theme-dark");
    });
  },
);
