import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PALETTE } from "../../src/render/palette";
import { FIXTURE } from "../../widgets/test/harness-api";
import { browserSkipReason, useExplorerPages } from "./browser-page";

const skipReason = browserSkipReason();
if (skipReason) console.warn(`[seglens] ${skipReason}`);

const rgb = (label: number) => [...(PALETTE[label] as readonly number[]), 255];

// Each test opens a fresh page with the harness (plotly included, ~9 MB of script): up to ~50 s per
// test was measured while other work kept both cores busy.
describe.skipIf(skipReason !== null)(
  `ExplorerView in Chromium${skipReason ? ` (${skipReason})` : ""}`,
  { timeout: 180_000 },
  () => {
    const open = useExplorerPages();

    it("comm_open with the seglens identity renders one panel per layer, a legend of K clusters and the chart", async () => {
      const { page, call, consoleErrors, screenshot } = await open({});
      const layers = await page
        .locator(".seglens-panel")
        .evaluateAll((els) => els.map((e) => e.getAttribute("data-layer")));
      expect(layers).toEqual(FIXTURE.layers.map(String));
      await expect(page.locator(".seglens-legend button").count()).resolves.toBe(FIXTURE.k);
      // one trace per metric (PB, LC, BA) for the one model
      await expect(call("chartTraces")).resolves.toBe(3);
      await screenshot("explorer-one-model");
      expect(consoleErrors).toEqual([]);
    });

    it("three models of different depth render one row per model, each panel captioned with its model's own block from model_layers", async () => {
      // Columns are blocks 1..3 of a 3-block first model; beside it a 6-block and a 2-block model.
      const modelLayers = [
        [1, 2, 3],
        [2, 4, 6],
        [1, 1, 2],
      ];
      const { page, call, screenshot } = await open({ models: 3, modelLayers });
      await expect(page.locator(".seglens-row").count()).resolves.toBe(3);
      await expect(page.locator(".seglens-panel").count()).resolves.toBe(9);
      await expect(call("chartTraces")).resolves.toBe(9);
      await expect(page.locator(".seglens-models input:checked").count()).resolves.toBe(3);
      const captions = await page
        .locator(".seglens-row")
        .evaluateAll((rows) =>
          rows.map((row) => [...row.querySelectorAll("figcaption")].map((c) => c.textContent?.trim())),
        );
      expect(captions).toEqual(modelLayers.map((blocks) => blocks.map((b) => `L${b}`)));
      await screenshot("explorer-three-models");
    });

    it("at opacity 1 a canvas pixel shows exactly the palette colour of its cluster", async () => {
      const { call } = await open({ opacity: 1 });
      // 32 px image over a 4×4 grid: cell (0,0) is cluster 0 in every layer; in layer 1 cell (3,3)
      // (pixel 28,28) is cluster 1 + 3 % 3 = 1.
      await expect(call("pixel", 0, 1, 3, 3)).resolves.toEqual(rgb(0));
      await expect(call("pixel", 0, 1, 28, 28)).resolves.toEqual(rgb(1));
      await expect(call("pixel", 0, 3, 3, 3)).resolves.toEqual(rgb(0));
    });

    it("ArrowRight on the focused K slider sets k = 5 and sends one update {k: 5}", async () => {
      const { page, call } = await open({});
      await page.locator(".seglens-k").focus();
      await page.keyboard.press("ArrowRight");
      await expect(call("get", "k")).resolves.toBe(5);
      await expect(page.locator(".seglens-k-value").textContent()).resolves.toBe("5");
      const updates = (await call("sent")).filter((m) => m.method === "update");
      expect(updates).toEqual([{ method: "update", state: { k: 5 }, buffer_paths: [], buffers: 0 }]);
    });

    it("choosing q in the representation selector sets rep = q and syncs it", async () => {
      const { page, call } = await open({});
      await page.locator(".seglens-rep").selectOption("q");
      await expect(call("get", "rep")).resolves.toBe("q");
      const updates = (await call("sent")).filter((m) => m.method === "update");
      expect(updates.map((m) => m.state)).toEqual([{ rep: "q" }]);
    });

    it("ticking a second model sends models [tiny-a, tiny-b]; the layer range clamps to the bounds", async () => {
      const { page, call } = await open({});
      await page.getByLabel("tiny-b").check();
      await expect(call("get", "models")).resolves.toEqual(["tiny-a", "tiny-b"]);
      await page.locator(".seglens-last").fill("99");
      await page.locator(".seglens-last").press("Enter");
      await page.locator(".seglens-first").focus(); // blur commits the number input
      await expect(call("get", "layer_range")).resolves.toEqual([1, 3]);
    });

    it("model ids that are paths show their last segment, the full id as the title", async () => {
      const { page, call } = await open({});
      const path = "/data/models/dinov2-small/";
      await call("update", { model_choices: [path, "facebook/dino-vits16"], models: [path] });
      const label = page.locator(".seglens-models label").first();
      await expect(label.textContent()).resolves.toBe("dinov2-small");
      await expect(label.getAttribute("title")).resolves.toBe(path);
      await expect(page.locator(".seglens-models label").nth(1).textContent()).resolves.toBe("dino-vits16");
      await expect(page.locator(".seglens-row-title").first().getAttribute("title")).resolves.toBe("tiny-a");
    });

    it("picking 'all images' syncs image = all and shows both images in every panel; opacity keys sync", async () => {
      const { page, call } = await open({});
      await page.locator(".seglens-image").selectOption("all");
      await expect(call("get", "image")).resolves.toBe("all");
      await expect(page.locator('.seglens-panel[data-layer="2"] .seglens-cell').count()).resolves.toBe(2);
      await page.locator(".seglens-opacity").focus();
      await page.keyboard.press("ArrowLeft");
      await expect(call("get", "opacity")).resolves.toBeCloseTo(0.95, 6);
      const updates = (await call("sent")).filter((m) => m.method === "update");
      expect(updates.map((m) => Object.keys(m.state ?? {}))).toEqual([["image"], ["opacity"]]);
    });

    it("30 images at 12 a page: the pager says images 1–12 of 30; Next sends {page: 1, image: 'all'}; page 1's frame draws images 13–24 over their own pictures", async () => {
      const { page, call, screenshot } = await open({ imageCount: 30, pageSize: 12, opacity: 0 });
      const text = page.locator(".seglens-page-text");
      await expect(text.textContent()).resolves.toBe("images 1–12 of 30");
      await expect(page.locator(".seglens-page-count").textContent()).resolves.toBe("of 3");
      await expect(page.getByRole("button", { name: "◀ Previous" }).isDisabled()).resolves.toBe(true);
      await expect(page.locator(".seglens-image option").allTextContents()).resolves.toHaveLength(13);
      await page.getByRole("button", { name: "Next ▶" }).click();
      await expect(call("get", "page")).resolves.toBe(1);
      const updates = (await call("sent")).filter((m) => m.method === "update");
      expect(updates.map((m) => m.state)).toEqual([{ page: 1, image: "all" }]); // image 0 is not on page 1
      await expect(text.textContent()).resolves.toBe("images 13–24 of 30");
      await call("updateFrame", { imageCount: 30, pageSize: 12, page: 1 });
      const shown = await page
        .locator('.seglens-panel[data-layer="1"] .seglens-cell')
        .evaluateAll((els) => els.map((e) => e.getAttribute("data-image")));
      expect(shown).toEqual(Array.from({ length: 12 }, (_, i) => String(12 + i)));
      await expect(page.locator(".seglens-image option").nth(1).textContent()).resolves.toBe(
        "13: img-13.png",
      );
      // At opacity 0 the first canvas shows the first image sent for page 1 (pixel (1, 0): bytes 3..5).
      await expect(call("pixel", 0, 1, 1, 0)).resolves.toEqual([21, 28, 35, 255]);
      await screenshot("explorer-page-2");
      await page.locator(".seglens-page").fill("3");
      await page.locator(".seglens-page").press("Enter");
      await expect(call("get", "page")).resolves.toBe(2);
      await expect(text.textContent()).resolves.toBe("images 25–30 of 30");
      await expect(page.getByRole("button", { name: "Next ▶" }).isDisabled()).resolves.toBe(true);
    });

    it("a set that fits one page hides the page buttons and still says how many images are shown", async () => {
      const { page } = await open({});
      await expect(page.locator(".seglens-page-text").textContent()).resolves.toBe("images 1–2 of 2");
      await expect(page.locator(".seglens-page-nav").isVisible()).resolves.toBe(false);
    });

    it("hovering a cluster-0 cell lights cluster 0 up in every panel and shows its share per layer", async () => {
      const { page, call, screenshot } = await open({ opacity: 0.5 });
      const canvas = page.locator('.seglens-panel[data-layer="1"] canvas');
      const box = await canvas.boundingBox();
      if (!box) throw new Error("no canvas box");
      await page.mouse.move(box.x + 2, box.y + 2);
      const shares = await page.locator(".seglens-share").allTextContents();
      expect(shares).toEqual(FIXTURE.shareOfCluster0.map((s) => `· 0: ${(100 * s).toFixed(1)}%`));
      // highlighted cluster opaque in another layer's panel, the others faded (not the palette colour)
      await expect(call("pixel", 0, 3, 3, 3)).resolves.toEqual(rgb(0));
      await expect(call("pixel", 0, 1, 28, 28)).resolves.not.toEqual(rgb(1));
      await expect(page.locator('.seglens-legend button[aria-pressed="true"]').textContent()).resolves.toBe(
        "0",
      );
      await screenshot("explorer-hover");
      await page.mouse.move(1, 799); // off every canvas
      await expect(page.locator(".seglens-share").allTextContents()).resolves.toEqual(["", "", ""]);
    });

    it("with both images shown, hovering the second image's first cell highlights its cluster; the gap above it highlights none", async () => {
      const { page } = await open({});
      await page.locator(".seglens-image").selectOption("all");
      const cell = page.locator('.seglens-panel[data-layer="1"] .seglens-cell').nth(1);
      await expect(cell.getAttribute("data-image")).resolves.toBe("1");
      const box = await cell.boundingBox();
      if (!box) throw new Error("no cell box");
      const shares = page.locator(".seglens-share");
      await page.mouse.move(box.x + 2, box.y + 2);
      await expect(shares.first().textContent()).resolves.toMatch(/^· 0: /);
      await page.mouse.move(box.x + 2, box.y - 2); // between the two images
      await expect(shares.allTextContents()).resolves.toEqual(["", "", ""]);
    });

    it("focusing legend button 1 with Tab highlights cluster 1 (keyboard access)", async () => {
      const { page } = await open({});
      await page.locator('.seglens-legend button[data-label="0"]').focus();
      await page.keyboard.press("Tab");
      await expect(page.locator('.seglens-legend button[aria-pressed="true"]').textContent()).resolves.toBe(
        "1",
      );
      await expect(page.locator(".seglens-share").first().textContent()).resolves.toMatch(/^· 1: \d+\.\d%$/);
    });

    it("status loading shows progress; Cancel sends custom {action: 'cancel'}", async () => {
      const { page, call, screenshot } = await open({});
      await call("update", { status: { kind: "loading", stage: "features", done: 2, total: 8 } });
      await expect(page.locator(".seglens-status").isVisible()).resolves.toBe(true);
      await expect(
        page
          .locator(".seglens-status progress")
          .evaluate((p) => [(p as { value: number }).value, (p as { max: number }).max]),
      ).resolves.toEqual([2, 8]);
      await expect(page.locator(".seglens-status-text").textContent()).resolves.toBe("features 2/8");
      // A status with words for the user (a download, a conversion) shows them instead of the counts.
      const detail = "converting mae-base: 5 of 12 blocks";
      await call("update", { status: { kind: "loading", stage: "convert", done: 5, total: 12, detail } });
      await expect(page.locator(".seglens-status-text").textContent()).resolves.toBe(detail);
      await screenshot("explorer-loading");
      await page.getByRole("button", { name: "Cancel" }).click();
      const custom = (await call("sent")).filter((m) => m.method === "custom");
      expect(custom).toEqual([{ method: "custom", content: { action: "cancel" }, buffers: 0 }]);
    });

    it("Export SVG sends custom {action: 'export', format: 'svg'}; the kernel's answer downloads its buffer as filename", async () => {
      const { page, call, consoleErrors } = await open({});
      await page.getByRole("button", { name: "Export SVG" }).click();
      const custom = (await call("sent")).filter((m) => m.method === "custom");
      expect(custom).toEqual([
        { method: "custom", content: { action: "export", format: "svg" }, buffers: 0 },
      ]);
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><text>K=4</text></svg>\n';
      const answer = { action: "export", format: "svg", filename: "seglens-tiny-a-tokens-K4.svg" };
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        call("custom", answer, [...Buffer.from(svg)]),
      ]);
      expect(download.suggestedFilename()).toBe("seglens-tiny-a-tokens-K4.svg");
      expect(readFileSync(await download.path(), "utf8")).toBe(svg);
      await expect(page.getByRole("alert").isVisible()).resolves.toBe(false);
      expect(consoleErrors).toEqual([]);
    });

    it("Enter on the focused Export PNG button sends format png; a PNG answer downloads byte for byte", async () => {
      const { page, call } = await open({});
      await page.getByRole("button", { name: "Export PNG" }).focus();
      await page.keyboard.press("Enter");
      const custom = (await call("sent")).filter((m) => m.method === "custom");
      expect(custom.map((m) => m.content)).toEqual([{ action: "export", format: "png" }]);
      const bytes = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 255, 128];
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        call("custom", { action: "export", format: "png", filename: "view.png" }, bytes),
      ]);
      expect(download.suggestedFilename()).toBe("view.png");
      expect([...readFileSync(await download.path())]).toEqual(bytes);
    });

    it("an export error answer shows in the widget's alert until the next export succeeds; unasked answers are ignored", async () => {
      const { page, call, screenshot } = await open({});
      const downloads: string[] = [];
      page.on("download", (d) => downloads.push(d.suggestedFilename()));
      // Another view's request: this view asked for nothing, so it neither downloads nor shows it.
      await call("custom", { action: "export", format: "png", filename: "other.png" }, [1, 2, 3]);
      await call("custom", { action: "export", error: "not for this view" });
      await expect(page.getByRole("alert").isVisible()).resolves.toBe(false);
      await page.getByRole("button", { name: "Export PNG" }).click();
      await call("custom", { action: "export", error: "NoFrameError: nothing to export" });
      await expect(page.getByRole("alert").textContent()).resolves.toBe(
        "export failed: NoFrameError: nothing to export",
      );
      await screenshot("explorer-export-error");
      await call("update", { k: 5 }); // a redraw keeps the error
      await expect(page.getByRole("alert").textContent()).resolves.toMatch(/^export failed/);
      await page.getByRole("button", { name: "Export SVG" }).click();
      await Promise.all([
        page.waitForEvent("download"),
        call("custom", { action: "export", format: "svg", filename: "ok.svg" }, [60, 115, 118, 103, 47, 62]),
      ]);
      await expect(page.getByRole("alert").isVisible()).resolves.toBe(false);
      expect(downloads).toEqual(["ok.svg"]);
    });

    it("status error renders its message in the widget (role=alert)", async () => {
      const { page, screenshot, call } = await open({});
      await call("update", { status: { kind: "error", message: 'model "nope" not found' } });
      await expect(page.getByRole("alert").textContent()).resolves.toBe('model "nope" not found');
      await expect(page.locator(".seglens-status").isVisible()).resolves.toBe(false);
      await screenshot("explorer-error");
    });

    it("view_error (a control value the kernel refused) shows in the alert beside the frame; null hides it", async () => {
      const { page, call } = await open({});
      const line = "invalid k 99; expected 2..32; kept k 6";
      await call("update", { k: 6, view_error: line });
      await expect(page.getByRole("alert").textContent()).resolves.toBe(line);
      await expect(page.locator(".seglens-panel canvas").first().isVisible()).resolves.toBe(true);
      await call("update", { view_error: null });
      await expect(page.getByRole("alert").isVisible()).resolves.toBe(false);
    });

    it("a frame whose labels shape does not match its buffer renders an error, and the panels go", async () => {
      const { page, call, consoleErrors } = await open({});
      await call("updateFrame", { corruptLabels: true });
      await expect(page.getByRole("alert").textContent()).resolves.toMatch(
        /^frame not shown: invalid frame\.labels: 96 bytes for shape \[1, 3, 2, 5, 4\]; expected 120$/,
      );
      await expect(page.locator(".seglens-panel").count()).resolves.toBe(0);
      expect(consoleErrors).toEqual([]);
    });

    it("a frame without images draws labels on grey at the grid's size", async () => {
      const { call } = await open({ withImages: false, opacity: 1 });
      await expect(call("pixel", 0, 2, 0, 0)).resolves.toEqual(rgb(0));
    });

    it("JupyterLab's theme variables (a dark theme) colour the explorer's text and the chart's", async () => {
      const { page, call } = await open({}, (empty) =>
        empty.addStyleTag({
          content: ":root { --jp-ui-font-color1: rgb(230, 230, 230); --jp-layout-color0: rgb(17, 17, 17); }",
        }),
      );
      await call("chartTraces");
      type Styled = { getComputedStyle(element: unknown): { color: string; backgroundColor: string } };
      const colours = await page.locator(".seglens-explorer").evaluate((el) => {
        const style = (globalThis as unknown as Styled).getComputedStyle(el);
        return [style.color, style.backgroundColor];
      });
      expect(colours).toEqual(["rgb(230, 230, 230)", "rgb(17, 17, 17)"]);
      // the chart is drawn again once attached, where the variables resolve
      await expect
        .poll(() => page.locator(".seglens-chart .gtitle").getAttribute("style"))
        .toMatch(/fill: rgb\(230, 230, 230\)/);
    });

    it("removing the view purges the plotly chart and detaches every listener", async () => {
      const { call } = await open({});
      await call("chartTraces");
      const report = await call("remove");
      expect(report).toEqual({ attached: false, chartChildren: 0, sentAfterRemove: 0 });
    });
  },
);
