import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { createRgbImage } from "../../src/images/rgb-image";
import { heatColour } from "../../src/lenses/attention-colours";
import { attentionMap, displayLevels, parseHeads, shownHeads } from "../../src/lenses/attention-maps";
import { paintHeat } from "../../src/render/label-map";

describe("head choices", () => {
  it("mean, all, and lists of 0-based heads (duplicates dropped)", () => {
    expect(parseHeads("mean")).toBe("mean");
    expect(parseHeads(" all ")).toBe("all");
    expect(parseHeads("3,0,3")).toEqual([3, 0]);
    expect(shownHeads("mean", 6)).toEqual(["mean"]);
    expect(shownHeads("all", 3)).toEqual([0, 1, 2]);
    expect(shownHeads([2, 0], 3)).toEqual([2, 0]);
  });

  it("refuses a malformed entry and a head past the model's last, naming the value", () => {
    expect(() => parseHeads("0,x")).toThrow(InputError);
    expect(() => parseHeads("0,x")).toThrow(/invalid --heads entry "x"; expected mean, all, or head numbers/);
    expect(() => parseHeads("-1")).toThrow(/"-1"/);
    expect(() => shownHeads([1, 4], 4)).toThrow(/--heads "1,4" names head 4; the model has heads 0..3/);
  });
});

describe("attentionMap", () => {
  // 2 images × 2 heads × 4 patches, values chosen so each (image, head) row is recognisable.
  const rows = Float32Array.from({ length: 16 }, (_, i) => i);
  const dims = [2, 2, 4] as const;

  it("one head's row of one image", () => {
    expect([...attentionMap(rows, dims, 1, 0)]).toEqual([8, 9, 10, 11]);
    expect([...attentionMap(rows, dims, 0, 1)]).toEqual([4, 5, 6, 7]);
  });

  it("the mean over heads", () => {
    expect([...attentionMap(rows, dims, 1, "mean")]).toEqual([10, 11, 12, 13]);
  });

  it("refuses rows of another shape, an image or a head out of range", () => {
    expect(() => attentionMap(rows.subarray(1), dims, 0, 0)).toThrow(RangeError);
    expect(() => attentionMap(rows, dims, 2, 0)).toThrow(/image 2 is not in 0..1/);
    expect(() => attentionMap(rows, dims, 0, 2)).toThrow(/head 2 is not in 0..1/);
  });
});

describe("display scaling and colours", () => {
  it("each map from its own minimum (0) to its maximum (255); a flat map is all 0", () => {
    expect([...displayLevels(Float32Array.from([0.1, 0.2, 0.3, 0.5]))]).toEqual([0, 64, 128, 255]);
    expect([...displayLevels(Float32Array.from([0.001, 0.003]))]).toEqual([0, 255]);
    expect([...displayLevels(Float32Array.from([0.25, 0.25]))]).toEqual([0, 0]);
  });

  it("viridis from dark violet to yellow, brighter as the level rises", () => {
    expect(heatColour(0)).toEqual([68, 1, 84]);
    expect(heatColour(255)).toEqual([253, 231, 37]);
    const luma = (l: number) => {
      const [r, g, b] = heatColour(l);
      return 0.299 * r + 0.587 * g + 0.114 * b;
    };
    for (let level = 16; level <= 255; level += 16) expect(luma(level)).toBeGreaterThan(luma(level - 16));
  });

  it("paints each patch as a block of its colour, blended over the photo at the opacity", () => {
    const levels = Uint8Array.from([0, 255, 255, 0]);
    const alone = paintHeat(levels, [2, 2], undefined, { size: [4, 4] });
    const pixel = (image: { data: Uint8Array }, y: number, x: number) => [
      ...image.data.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3),
    ];
    expect(pixel(alone, 0, 0)).toEqual([...heatColour(0)]);
    expect(pixel(alone, 1, 3)).toEqual([...heatColour(255)]);
    const white = createRgbImage(4, 4, new Uint8Array(48).fill(255));
    const half = paintHeat(levels, [2, 2], white, { opacity: 0.5 });
    expect(pixel(half, 3, 3)).toEqual(heatColour(0).map((c) => Math.round(0.5 * 255 + 0.5 * c)));
  });
});
