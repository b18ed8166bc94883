import { describe, expect, it } from "vitest";
import { FIXTURE, fixtureColour } from "../../widgets/test/harness-api";
import { browserSkipReason, useExplorerPages } from "./browser-page";

const skipReason = browserSkipReason();
if (skipReason) console.warn(`[seglens] ${skipReason}`);

/** RGBA of the fixture's colour frames at layer position `l`, cell (y, x). */
const colour = (l: number, y: number, x: number) => [...fixtureColour(l, y, x), 255];

// The lens switch in the view: colour frames (pca, attention) drawn from their colours, the lens
// and head selectors, and the controls that only clusters use greyed out.
describe.skipIf(skipReason !== null)(
  `ExplorerView lenses in Chromium${skipReason ? ` (${skipReason})` : ""}`,
  { timeout: 180_000 },
  () => {
    const open = useExplorerPages();

    it("a pca frame at opacity 1 draws each cell in the frame's own colour, PC1–3 shares under the headers, its legend instead of the clusters' and no chart", async () => {
      const { page, call, consoleErrors, screenshot } = await open({ lens: "pca", opacity: 1 });
      // 32 px image over a 4×4 grid: pixel (3, 3) is cell (0, 0), pixel (28, 12) is cell (1, 3).
      await expect(call("pixel", 0, 1, 3, 3)).resolves.toEqual(colour(0, 0, 0));
      await expect(call("pixel", 0, 1, 28, 12)).resolves.toEqual(colour(0, 1, 3));
      await expect(call("pixel", 0, 3, 12, 28)).resolves.toEqual(colour(2, 3, 1));
      await expect(page.locator(".seglens-layer-note").allTextContents()).resolves.toEqual([
        "PC1–3 45%",
        "PC1–3 55%",
        "PC1–3 65%",
      ]);
      await expect(page.locator(".seglens-legend").isVisible()).resolves.toBe(false);
      await expect(page.locator(".seglens-lens-legend").textContent()).resolves.toContain(
        "red, green, blue = components 1, 2, 3",
      );
      await expect(page.locator(".seglens-heat").isVisible()).resolves.toBe(false);
      await expect(page.locator(".seglens-chart").isVisible()).resolves.toBe(false);
      await expect(page.locator(".seglens-lens").inputValue()).resolves.toBe("pca");
      await screenshot("explorer-lens-pca");
      expect(consoleErrors).toEqual([]);
    });

    it("outside the clusters lens the K slider and L2-normalize are disabled, titled as the clusters'; back on clusters they work", async () => {
      const { page, call } = await open({ lens: "pca" });
      await expect(page.locator(".seglens-k").isDisabled()).resolves.toBe(true);
      await expect(page.locator(".seglens-normalize").isDisabled()).resolves.toBe(true);
      await expect(page.getByTitle("applies to the clusters lens").count()).resolves.toBe(2);
      await call("update", { lens: "clusters" });
      await call("updateFrame", {});
      await expect(page.locator(".seglens-k").isDisabled()).resolves.toBe(false);
      await expect(page.getByTitle("applies to the clusters lens").count()).resolves.toBe(0);
      await expect(page.locator(".seglens-legend button").count()).resolves.toBe(FIXTURE.k);
      await expect(page.locator(".seglens-layer-note").allTextContents()).resolves.toEqual(["", "", ""]);
      await expect(call("chartTraces")).resolves.toBe(3);
    });

    it("choosing PCA then Attention in the lens selector syncs lens; the head selector appears for attention only", async () => {
      const { page, call } = await open({});
      await expect(page.locator(".seglens-head").isVisible()).resolves.toBe(false);
      // Reached with Tab from the representation selector, labelled "Lens".
      await page.locator(".seglens-rep").focus();
      await page.keyboard.press("Tab");
      type Focusable = { ownerDocument: { activeElement: unknown } };
      const focused = (e: unknown) => e === (e as Focusable).ownerDocument.activeElement;
      await expect(page.getByLabel("Lens").evaluate(focused)).resolves.toBe(true);
      await page.getByLabel("Lens").selectOption("pca");
      await expect(call("get", "lens")).resolves.toBe("pca");
      await page.getByLabel("Lens").selectOption("attention");
      const updates = (await call("sent")).filter((m) => m.method === "update");
      expect(updates.map((m) => m.state)).toEqual([{ lens: "pca" }, { lens: "attention" }]);
      await expect(page.locator(".seglens-head").isVisible()).resolves.toBe(true);
      // Until the kernel knows the heads, only the mean is offered.
      await expect(page.locator(".seglens-head option").allTextContents()).resolves.toEqual(["mean"]);
    });

    it("an attention frame draws its colours, says its head, shows the low–high bar; picking head 2 syncs head = 2", async () => {
      const { page, call, screenshot } = await open({ lens: "attention", heads: 4, head: 0, opacity: 1 });
      await expect(call("pixel", 0, 2, 20, 4)).resolves.toEqual(colour(1, 0, 2));
      await expect(page.locator(".seglens-head option").allTextContents()).resolves.toEqual([
        "mean",
        "head 0",
        "head 1",
        "head 2",
        "head 3",
      ]);
      await expect(page.locator(".seglens-head").inputValue()).resolves.toBe("0");
      await expect(page.locator(".seglens-lens-legend").textContent()).resolves.toContain("head 0");
      await expect(page.locator(".seglens-heat").isVisible()).resolves.toBe(true);
      await expect(page.locator(".seglens-layer-note").allTextContents()).resolves.toEqual(["", "", ""]);
      await screenshot("explorer-lens-attention");
      await page.getByLabel("Head").selectOption("2");
      await expect(call("get", "head")).resolves.toBe(2);
      const updates = (await call("sent")).filter((m) => m.method === "update");
      expect(updates.map((m) => m.state)).toEqual([{ head: 2 }]);
    });

    it("at opacity 0.5 a colour frame blends over the image like labels; hovering it highlights no cluster", async () => {
      const { page, call } = await open({ lens: "pca", opacity: 0.5 });
      const [r, g, b] = (await call("pixel", 0, 1, 3, 3)) as number[];
      const [cr, cg, cb] = fixtureColour(0, 0, 0);
      // The image under cell (0, 0) is dark (bytes (j · 7) mod 256 of its first pixels): half of each.
      expect(Math.abs((r as number) - cr / 2)).toBeLessThan(40);
      expect(Math.abs((g as number) - cg / 2)).toBeLessThan(40);
      expect(Math.abs((b as number) - cb / 2)).toBeLessThan(40);
      const box = await page.locator('.seglens-panel[data-layer="1"] canvas').boundingBox();
      if (!box) throw new Error("no canvas box");
      await page.mouse.move(box.x + 2, box.y + 2);
      await expect(page.locator(".seglens-share").allTextContents()).resolves.toEqual(["", "", ""]);
    });

    it("a pca frame without colors renders an error in one line, and the panels go", async () => {
      const { page, call, consoleErrors } = await open({});
      await call("updateFrame", { lens: "pca", noColors: true });
      await expect(page.getByRole("alert").textContent()).resolves.toBe(
        "frame not shown: invalid frame.colors: undefined; expected {dtype, shape, buffer}",
      );
      await expect(page.locator(".seglens-panel").count()).resolves.toBe(0);
      expect(consoleErrors).toEqual([]);
    });
  },
);
