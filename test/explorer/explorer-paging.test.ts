import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OptionRangeError } from "../../src/errors";
import {
  createExplorerEngine,
  type ExplorerEngine,
  type ExplorerRequest,
  type ExplorerResult,
} from "../../src/explorer/explorer-engine";
import type { BinaryArray, ExplorerFrame } from "../../src/explorer/explorer-state";
import { explore } from "../../src/explorer/explorer-widget";
import { encodePng } from "../../src/images/encode-png";
import { createRgbImage } from "../../src/images/rgb-image";
import { testCacheDir } from "../support/temp";
import { useWidgetKernel } from "../support/widgets";

const repo = resolve(".");
const model = `${repo}/models/fixtures/dinov2-tf4`;
const samples = `${repo}/models/samples`;
const signal = new AbortController().signal;

const request = (page?: number, pageSize?: number): ExplorerRequest => ({
  models: [model],
  k: 3,
  rep: "tokens",
  layerRange: undefined,
  normalize: "l2",
  ...(page === undefined ? {} : { page }),
  ...(pageSize === undefined ? {} : { pageSize }),
});

/** The label map of model 0, column `l`, page position `p` of `frame`. */
function labelMap(frame: ExplorerFrame, l: number, p: number): number[] {
  const [, layers, n, gh, gw] = (frame.labels as BinaryArray<"uint8">).shape as [
    number,
    number,
    number,
    number,
    number,
  ];
  expect(layers).toBe(frame.layers.length);
  const from = (l * n + p) * gh * gw;
  return [...((frame.labels as BinaryArray<"uint8">).buffer as Uint8Array).subarray(from, from + gh * gw)];
}

describe("explorer engine pages on models/fixtures/dinov2-tf4 over the 5 sample images", () => {
  let engine: ExplorerEngine;
  let whole: ExplorerResult;
  beforeAll(async () => {
    engine = createExplorerEngine({ images: [samples] });
    whole = await engine.compute(request(0, 5), signal, () => undefined);
  });
  afterAll(() => engine.dispose());

  it("at 5 a page the frame holds all 5 images; at 2 a page, page p holds images 2p, 2p+1 (the last: 4)", async () => {
    expect(whole.frame.images).toEqual([0, 1, 2, 3, 4]);
    for (const [page, images] of [
      [0, [0, 1]],
      [1, [2, 3]],
      [2, [4]],
    ] as const) {
      const result = await engine.compute(request(page, 2), signal, () => undefined);
      const { frame } = result;
      expect(frame.images).toEqual(images);
      expect((frame.labels as BinaryArray<"uint8">).shape).toEqual([
        1,
        frame.layers.length,
        images.length,
        4,
        4,
      ]);
      expect(result.page).toMatchObject({ index: page, count: 3, start: images[0] });
      const rgb = result.images as BinaryArray<"uint8">;
      expect(rgb.shape[0]).toBe(images.length);
      expect(result.views).toHaveLength(images.length);
      expect(result.imageNames).toHaveLength(5);
    }
  });

  it("an image's labels are the same on every page and page size: clustering is joint over the set", async () => {
    for (const pageSize of [1, 2, 3]) {
      for (let page = 0; page * pageSize < 5; page++) {
        const { frame } = await engine.compute(request(page, pageSize), signal, () => undefined);
        frame.images.forEach((image, p) => {
          for (let l = 0; l < frame.layers.length; l++)
            expect(labelMap(frame, l, p)).toEqual(labelMap(whole.frame, l, image));
        });
        expect(frame.metrics).toEqual(whole.frame.metrics); // scores are the whole set's
      }
    }
  });

  it("a page change runs neither the model nor k-means: no progress at all, the views decoded once per page", async () => {
    const stages: string[] = [];
    const first = await engine.compute(request(1, 2), signal, (s) => stages.push(s.stage));
    const again = await engine.compute({ ...request(1, 2), k: 3 }, signal, (s) => stages.push(s.stage));
    expect(stages).toEqual([]);
    expect(again.frame.labels).toBe(first.frame.labels); // the kept frame, served again
    expect(again.images).toBe(first.images); // same object: the widget does not send it again
  });

  it("an engine keeping nothing clusters the whole set for a page too: page 1 of 2 has the whole set's labels", async () => {
    const fresh = createExplorerEngine({ images: [samples], frameCacheSize: 0 });
    try {
      const stages: string[] = [];
      const { frame } = await fresh.compute(request(1, 2), signal, (s) => stages.push(s.stage));
      expect(stages).toContain("kmeans");
      expect(frame.images).toEqual([2, 3]);
      for (let l = 0; l < frame.layers.length; l++)
        for (const p of [0, 1]) expect(labelMap(frame, l, p)).toEqual(labelMap(whole.frame, l, 2 + p));
    } finally {
      await fresh.dispose();
    }
  });

  it("a page past the end shows the last page; a page size of 0 or 65 is an OptionRangeError naming it", async () => {
    const result = await engine.compute(request(9, 2), signal, () => undefined);
    expect(result.page).toEqual({ index: 2, count: 3, start: 4, end: 5 });
    expect(result.frame.images).toEqual([4]);
    await expect(engine.compute(request(0, 0), signal, () => undefined)).rejects.toThrow(OptionRangeError);
    await expect(engine.compute(request(0, 65), signal, () => undefined)).rejects.toThrow(
      "invalid page size 65; expected an integer from 1 to 64",
    );
    await expect(engine.compute(request(-1, 2), signal, () => undefined)).rejects.toThrow(
      "invalid page -1; expected an integer from 0 to 2 (5 items, 2 a page)",
    );
  });
});

const { frontendUpdate } = useWidgetKernel();
const tick = () => new Promise((r) => setImmediate(r));

/** Writes `count` distinct 32 × 32 PNGs (stripes of varying colour and period) into `dir`. */
async function writeImages(dir: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const image = createRgbImage(32, 32);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const on = Math.floor((x + (i % 7) * y) / (2 + (i % 5))) % 2;
        image.data.set(on ? [(i * 37) % 256, 200, 40] : [20, (i * 91) % 256, 220], (y * 32 + x) * 3);
      }
    writeFileSync(join(dir, `img-${String(i).padStart(3, "0")}.png`), await encodePng(image));
  }
}

describe("explore() over 300 images (real engine, no sockets)", () => {
  it('explore({ image: "all" }) keeps the whole page side by side; 5 images start that way by default', async () => {
    const dir = testCacheDir();
    try {
      await writeImages(dir.path, 12);
      const all = explore({ model, images: [dir.path], image: "all", precompute: false });
      await all.idle();
      expect(all.get("image")).toBe("all");
      all.close();
      const few = explore({ model, images: [samples], precompute: false });
      await few.idle();
      expect(few.get("image")).toBe("all");
      few.close();
    } finally {
      dir.remove();
    }
  });

  it("shows 12 of 300 at a time; a page change cuts the next 12 from the same clustering, without k-means", async () => {
    const dir = testCacheDir();
    try {
      await writeImages(dir.path, 300);
      const widget = explore({ model, images: [dir.path], k: 4, precompute: false });
      await widget.idle();
      expect(widget.get("status")).toEqual({ kind: "ready" });
      expect(widget.get("image_names")).toHaveLength(300);
      expect([widget.get("page"), widget.get("page_size")]).toEqual([0, 12]);
      const first = widget.get("frame") as ExplorerFrame;
      expect(first.images).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect((first.labels as BinaryArray<"uint8">).shape).toEqual([1, first.layers.length, 12, 4, 4]);
      expect((widget.get("images") as BinaryArray<"uint8">).shape[0]).toBe(12);
      expect(widget.get("page_images")).toEqual(first.images);
      // A set this large starts with one image shown, the page's first; the frame still holds the page.
      expect(widget.get("image")).toBe(0);

      const stages: string[] = [];
      widget.on("change", ({ changes }) => {
        if (changes.status?.kind === "loading") stages.push(changes.status.stage);
      });
      frontendUpdate(widget, { page: 24, image: 5 });
      await tick();
      await widget.idle();
      const last = widget.get("frame") as ExplorerFrame;
      expect(last.images).toEqual(Array.from({ length: 12 }, (_, i) => 288 + i));
      expect(widget.get("page_images")).toEqual(last.images);
      expect(widget.get("image")).toBe("all"); // image 5 is not on page 24
      expect(last.metrics).toEqual(first.metrics);
      expect(stages).toEqual([]);

      // A page size change alone keeps the first image shown on screen: image 288 at 50 a page is on page 5.
      frontendUpdate(widget, { page_size: 50 });
      await tick();
      await widget.idle();
      expect(widget.get("page")).toBe(5);
      expect((widget.get("frame") as ExplorerFrame).images[0]).toBe(250);
      expect(stages).toEqual([]);
      widget.close();
    } finally {
      dir.remove();
    }
  }, 240_000);
});

describe("explore({ pageSize }) and page checks", () => {
  it("explore({ pageSize: 0 }) is refused at the call with an OptionRangeError naming pageSize", () => {
    expect(() => explore({ model, images: [samples], pageSize: 0 })).toThrow(
      "invalid pageSize 0; expected an integer from 1 to 64",
    );
  });

  it("a page beyond the set or a page_size of 100 from the view is refused with view_error, the kept value sent back", async () => {
    const widget = explore({ model, images: [samples], pageSize: 2, precompute: false });
    await widget.idle();
    frontendUpdate(widget, { page: 3 });
    await tick();
    await tick();
    expect(widget.get("page")).toBe(0);
    expect(widget.get("view_error")).toBe(
      "invalid page 3; expected an integer from 0 to 2 (5 items, 2 a page); kept page 0",
    );
    frontendUpdate(widget, { page_size: 100 });
    await tick();
    await tick();
    expect(widget.get("page_size")).toBe(2);
    expect(widget.get("view_error")).toBe(
      "invalid page_size 100; expected an integer from 1 to 64; kept page_size 2",
    );
    frontendUpdate(widget, { page: "1" });
    await tick();
    await tick();
    expect(widget.get("view_error")).toMatch(/^invalid page "1"; expected an integer/);
    expect(widget.get("status")).toEqual({ kind: "ready" });
    widget.close();
  });
});
