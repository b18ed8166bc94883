import { describe, expect, it } from "vitest";
import { alignModels } from "../../src/segmentation/align-models";

const permuted = (labels: Int32Array, mapping: readonly number[]) =>
  Int32Array.from(labels, (l) => mapping[l] as number);

describe("alignModels: colours across models, column by column", () => {
  // Two images of 2 × 2 patches, K 2, two columns (e.g. two layers).
  const column0 = Int32Array.from([0, 0, 1, 1, 0, 1, 0, 1]);
  const column1 = Int32Array.from([1, 0, 1, 0, 0, 0, 1, 1]);
  const first = { columns: [column0, column1], grid: [2, 2] as const, k: 2 };

  it("each column of another model is matched to the first model's in the same column", () => {
    // The second model found the same clusters, named differently in each column.
    const second = {
      columns: [permuted(column0, [1, 0]), permuted(column1, [0, 1])],
      grid: [2, 2] as const,
      k: 2,
    };
    const [a, b] = alignModels([first, second], 2);
    expect(a).toEqual([column0, column1]);
    expect(b).toEqual([column0, column1]);
  });

  it("models of different K and patch grid: matched on the common grid, extra clusters after the first's ids", () => {
    // A 4 × 4 grid: every patch of the first model is 2 × 2 cells; cluster 2 splits off one cell.
    const upsample = (labels: Int32Array) =>
      Int32Array.from({ length: 32 }, (_, i) => {
        const image = Math.floor(i / 16);
        const y = Math.floor((i % 16) / 4);
        const x = i % 4;
        return labels[image * 4 + Math.floor(y / 2) * 2 + Math.floor(x / 2)] as number;
      });
    const fine = permuted(upsample(column0), [2, 0]);
    fine[15] = 1; // one cell of the last patch of image 0 is a third cluster
    const second = { columns: [fine, upsample(column1)], grid: [4, 4] as const, k: 3 };
    const [, b] = alignModels([first, second], 2);
    const expected = upsample(column0);
    expected[15] = 2;
    expect(b?.[0]).toEqual(expected);
    expect(b?.[1]).toEqual(upsample(column1));
  });
});
