import { describe, expect, it } from "vitest";
import { commonGrid, resampleLabels } from "../../src/segmentation/label-grid";

describe("commonGrid", () => {
  it("is the per-axis least common multiple: 14 × 14 and 16 × 16 → 112 × 112, 4 × 6 and 6 × 4 → 12 × 12", () => {
    expect(
      commonGrid([
        [14, 14],
        [16, 16],
      ]),
    ).toEqual([112, 112]);
    expect(
      commonGrid([
        [4, 6],
        [6, 4],
      ]),
    ).toEqual([12, 12]);
    expect(commonGrid([[14, 14]])).toEqual([14, 14]);
  });

  it("falls back to the finest grid when the multiple is too large (16 and 37 → 37)", () => {
    expect(
      commonGrid([
        [16, 16],
        [37, 37],
      ]),
    ).toEqual([37, 37]);
  });
});

describe("resampleLabels", () => {
  it("returns the same array when the grids are equal", () => {
    const labels = Int32Array.of(0, 1, 2, 3);
    expect(resampleLabels(labels, 1, [2, 2], [2, 2])).toBe(labels);
  });

  it("turns each patch into a whole block on a multiple grid, per image", () => {
    const labels = Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7); // two 2 × 2 maps
    const up = resampleLabels(labels, 2, [2, 2], [4, 6]);
    expect(up).toBeInstanceOf(Uint8Array);
    expect([...up.subarray(0, 24)]).toEqual([
      0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 2, 2, 2, 3, 3, 3,
    ]);
    expect([...up.subarray(24)]).toEqual([
      4, 4, 4, 5, 5, 5, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7, 6, 6, 6, 7, 7, 7,
    ]);
    // Back to the patch grid: block centres give the original labels.
    expect([...resampleLabels(up, 2, [4, 6], [2, 2])]).toEqual([...labels]);
  });

  it("takes the patch under each cell's centre on a non-multiple grid", () => {
    const labels = Int32Array.of(0, 1, 2); // one 1 × 3 map onto 1 × 4: centres 0.375, 1.125, 1.875, 2.625
    expect([...resampleLabels(labels, 1, [1, 3], [1, 4])]).toEqual([0, 1, 1, 2]);
  });
});
