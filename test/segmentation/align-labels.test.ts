import { Matrix } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { alignSequence, matchLabels, relabel } from "../../src/segmentation/align-labels";
import { maximumMatching } from "../../src/segmentation/hungarian";
import { createRandom } from "../../src/util/random";

describe("maximumMatching", () => {
  it("finds the one-to-one assignment of largest total score, which greedy picking misses", () => {
    // Greedy takes (0,0)=9 and then (1,1)=1: 10. The optimum is (0,1)+(1,0) = 8 + 8 = 16.
    expect([
      ...maximumMatching(
        new Matrix([
          [9, 8],
          [8, 1],
        ]),
      ),
    ]).toEqual([1, 0]);
  });
  it("matches every column once when there are more rows than columns, leaving rows at -1", () => {
    const assignment = maximumMatching(
      new Matrix([
        [1, 0],
        [0, 5],
        [4, 0],
      ]),
    );
    expect([...assignment]).toEqual([-1, 1, 0]);
  });
  it("agrees with brute force on random 5 × 5 matrices", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const scores = Matrix.rand(5, 5, { random: createRandom(seed).uniform });
      const assignment = maximumMatching(scores);
      const total = [...assignment].reduce((sum, c, r) => sum + scores.get(r, c), 0);
      expect(total).toBeCloseTo(bestByBruteForce(scores), 10);
    }
  });
});

describe("matchLabels", () => {
  it("undoes a permutation of the same clustering", () => {
    const reference = Int32Array.from([0, 0, 1, 1, 2, 2, 3]);
    const permuted = Int32Array.from([2, 2, 0, 0, 3, 3, 1]);
    expect([...relabel(permuted, matchLabels(permuted, 4, reference, 4))]).toEqual([...reference]);
  });
  it("gives extra clusters (k > kRef) the ids after the reference's, largest first", () => {
    const reference = Int32Array.from([0, 0, 0, 1, 1, 1]);
    const finer = Int32Array.from([5, 5, 2, 0, 0, 1]);
    const mapping = matchLabels(finer, 6, reference, 2);
    expect(mapping[5]).toBe(0);
    expect(mapping[0]).toBe(1);
    expect(new Set(mapping).size).toBe(6);
  });
});

describe("alignSequence", () => {
  it("keeps a persisting cluster's id through layers whose k-means numbered it differently", () => {
    const layer1 = Int32Array.from([0, 0, 1, 1, 2, 2]);
    const layer2 = Int32Array.from([1, 1, 2, 2, 0, 0]);
    const layer3 = Int32Array.from([2, 2, 0, 0, 1, 1]);
    const aligned = alignSequence([layer1, layer2, layer3], 3);
    expect(aligned.map((a) => [...a])).toEqual([[...layer1], [...layer1], [...layer1]]);
  });
});

function bestByBruteForce(scores: Matrix): number {
  const n = scores.rows;
  let best = Number.NEGATIVE_INFINITY;
  const permute = (prefix: number[], rest: number[]): void => {
    if (rest.length === 0) {
      best = Math.max(
        best,
        prefix.reduce((sum, c, r) => sum + scores.get(r, c), 0),
      );
      return;
    }
    for (const [i, c] of rest.entries()) permute([...prefix, c], [...rest.slice(0, i), ...rest.slice(i + 1)]);
  };
  permute(
    [],
    Array.from({ length: n }, (_, i) => i),
  );
  return best;
}
