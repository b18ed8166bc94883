import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { createPreprocessConfig } from "../../src/images/preprocess-config";
import type { LabelMaps } from "../../src/segmentation/metrics";
import { IGNORE, loadMasks, type Masks, miou } from "../../src/segmentation/miou";
import { loadSharp } from "../../src/util/load-sharp";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());

// Two images, 2 × 2 patch grid, masks at 4 × 4 pixels (2 × 2 pixels per patch).
function masksFrom(classOfPatch: number[][]): Masks {
  const data = new Uint8Array(2 * 16);
  classOfPatch.forEach((patches, img) => {
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++)
        data[img * 16 + y * 4 + x] = patches[Math.floor(y / 2) * 2 + Math.floor(x / 2)] as number;
  });
  return { data, dims: [2, 4, 4] };
}
const labels = (k: number, values: number[]): LabelMaps => ({
  labels: Int32Array.from(values),
  dims: [2, 2, 2],
  k,
});

describe("miou", () => {
  it("clusters that are the classes under another numbering score 1", () => {
    const masks = masksFrom([
      [7, 7, 3, 3],
      [3, 9, 9, 7],
    ]);
    expect(miou(labels(3, [0, 0, 1, 1, 1, 2, 2, 0]), masks)).toEqual({ miou: 1, classes: [3, 7, 9] });
  });

  it("with more clusters than classes, one-to-one leaves a cluster wrong and many-to-one merges it", () => {
    const masks = masksFrom([
      [1, 1, 2, 2],
      [1, 1, 2, 2],
    ]);
    const scores = miou(labels(3, [0, 0, 1, 1, 0, 2, 1, 1]), masks);
    // One-to-one: class 1 ↔ cluster 0 (3 of its 4 patches: IoU 3/4), class 2 ↔ cluster 1 (IoU 1);
    // cluster 2's patch counts as wrong. Many-to-one gives cluster 2 to class 1: both IoU 1.
    expect(scores.miou).toBeCloseTo((3 / 4 + 1) / 2, 12);
    expect(scores.miouManyToOne).toBe(1);
  });

  it("ignores pixels marked 255", () => {
    const masks = masksFrom([
      [1, IGNORE, 2, 2],
      [1, 1, 2, IGNORE],
    ]);
    expect(miou(labels(2, [0, 1, 1, 1, 0, 0, 1, 0]), masks).miou).toBe(1);
  });
});

describe("loadMasks", () => {
  const config = createPreprocessConfig({
    resize: { mode: "exact", height: 4, width: 4 },
    resample: "bicubic",
  });

  it("finds each image's mask by base name and resizes it with nearest neighbours, keeping class ids", async () => {
    const dir = join(temp.path, "masks");
    mkdirSync(dir);
    const classes = Buffer.from(Array.from({ length: 64 }, (_, i) => (i % 8 < 4 ? 5 : 200)));
    await loadSharp()(classes, { raw: { width: 8, height: 8, channels: 1 } })
      .png()
      .toFile(join(dir, "coffee.png"));
    copyFileSync(join(dir, "coffee.png"), join(dir, "chelsea.png"));
    const masks = await loadMasks(dir, ["/x/coffee.jpg", "/y/chelsea.png"], config);
    expect(masks.dims).toEqual([2, 4, 4]);
    expect([...masks.data.subarray(0, 4)]).toEqual([5, 5, 200, 200]);
  });

  it("a colour mask or a missing one: InputError naming the file", async () => {
    const dir = join(temp.path, "colour");
    mkdirSync(dir);
    await loadSharp()({ create: { width: 4, height: 4, channels: 3, background: "#ff0000" } })
      .png()
      .toFile(join(dir, "a.png"));
    await expect(loadMasks(dir, ["a.png"], config)).rejects.toThrow(/mask ".*a\.png" is in colour/);
    await expect(loadMasks(dir, ["b.jpg"], config)).rejects.toThrow(InputError);
  });
});
