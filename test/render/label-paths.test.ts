import { describe, expect, it } from "vitest";
import { labelPaths, labelRectangles } from "../../src/render/label-paths";
import { createRandom } from "../../src/util/random";

/** The label map the rectangles paint, -1 where none does, or an error where two overlap. */
function paint(rects: ReturnType<typeof labelRectangles>, [gh, gw]: [number, number]): Int32Array {
  const out = new Int32Array(gh * gw).fill(-1);
  for (const r of rects)
    for (let y = r.y; y < r.y + r.height; y++)
      for (let x = r.x; x < r.x + r.width; x++) {
        if (out[y * gw + x] !== -1) throw new Error(`cell ${y},${x} covered twice`);
        out[y * gw + x] = r.label;
      }
  return out;
}

describe("labelPaths(labels, grid)", () => {
  it("one path per cluster, in id order, made of rectangles in patch units", () => {
    const labels = Int32Array.from([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 2, 2]);
    expect([...labelPaths(labels, [3, 4])]).toEqual([
      [0, "M0 0h2v2h-2z"],
      [1, "M2 0h2v2h-2z"],
      [2, "M0 2h4v1h-4z"],
    ]);
  });

  it("runs merge down only where the row below covers the same columns", () => {
    // 1 1 0      a run [0,2) of 1 over a run [0,1) of 1: two rectangles
    // 1 0 0
    const labels = Int32Array.from([1, 1, 0, 1, 0, 0]);
    expect(labelPaths(labels, [2, 3]).get(1)).toBe("M0 0h2v1h-2zM0 1h1v1h-1z");
  });

  it("covers every cell exactly once with its own label, and merges: random maps of 14 × 14", () => {
    const random = createRandom(7);
    for (let trial = 0; trial < 20; trial++) {
      // Blobs: each cell copies its upper or left neighbour most of the time, as label maps do.
      const labels = new Int32Array(14 * 14);
      for (let i = 0; i < labels.length; i++) {
        const roll = random.uniform();
        labels[i] =
          roll < 0.4 && i >= 14
            ? (labels[i - 14] as number)
            : roll < 0.8 && i % 14 > 0
              ? (labels[i - 1] as number)
              : Math.floor(random.uniform() * 6);
      }
      const rects = labelRectangles(labels, [14, 14]);
      expect(paint(rects, [14, 14])).toEqual(labels);
      expect(rects.length).toBeLessThan(196 / 2);
    }
  });

  it("refuses a map whose length is not the grid's", () => {
    expect(() => labelPaths(new Int32Array(5), [2, 2])).toThrow(RangeError);
  });
});
