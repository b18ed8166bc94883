import { afterAll, describe, expect, it } from "vitest";
import { rowSquaredNorms } from "../../src/kmeans/kmeans-data";
import { createKMeansEngine } from "../../src/kmeans/kmeans-engine";
import { runLloyd } from "../../src/kmeans/kmeans-lloyd";

const engine = createKMeansEngine({ threads: 1 });
afterAll(() => engine.dispose());

// 5 vectors in 2-D and 2 restarts of K = 2 centroids, small enough to check by hand.
const data = Float32Array.of(0, 0, 1, 0, 0, 3, 4, 4, 5, 5);
const centroids = Float32Array.of(0, 0, 5, 5, 1, 0, 0, 3);

function squared(i: number, c: number): number {
  return (
    ((data[2 * i] as number) - (centroids[2 * c] as number)) ** 2 +
    ((data[2 * i + 1] as number) - (centroids[2 * c + 1] as number)) ** 2
  );
}

describe("k-means graphs", () => {
  it("lloydStep(5 vectors, 2 restarts × K 2) returns per restart the nearest label and the two smallest distances", async () => {
    const step = await engine.lloydStep(data, [5, 2], centroids, 2);
    expect([...step.labels]).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    const norms = rowSquaredNorms(data, 5, 2);
    for (let i = 0; i < 5; i++) {
      for (let r = 0; r < 2; r++) {
        const both = [squared(i, 2 * r), squared(i, 2 * r + 1)].sort((a, b) => a - b);
        const at = (i * 2 + r) * 2;
        expect((step.partial[at] as number) + (norms[i] as number)).toBeCloseTo(both[0] as number, 4);
        expect((step.partial[at + 1] as number) + (norms[i] as number)).toBeCloseTo(both[1] as number, 4);
      }
    }
    expect(step.sums).toBeUndefined();
  });

  it("lloydStep(…, {rows, previous}) measures only those rows and returns the change of the sums and counts", async () => {
    const rows = Int32Array.of(1, 3);
    // Row 1 was in cluster 1 of restart 0 and nowhere (−1) in restart 1; row 3 in cluster 0 of both.
    const previous = Int32Array.of(1, -1, 0, 0);
    const step = await engine.lloydStep(data, [5, 2], centroids, 2, { rows, previous });
    expect([...step.labels]).toEqual([0, 0, 1, 1]);
    // Restart 0: row 1 moves 1 → 0 (+(1,0) to 0, −(1,0) from 1); row 3 moves 0 → 1.
    // Restart 1: row 1 joins 0; row 3 moves 0 → 1.
    expect([...(step.sums as Float32Array)]).toEqual([1 - 4, 0 - 4, 4 - 1, 4 - 0, 1 - 4, 0 - 4, 4, 4]);
    expect([...(step.counts as Float32Array)]).toEqual([0, 0, 0, 1]);
  });

  it("distances(vectors, points) returns ‖p‖² − 2 x·p for every pair", async () => {
    const points = Float32Array.of(1, 1, -2, 0);
    const partial = await engine.distances(data, [5, 2], points);
    expect([...partial]).toEqual([2, 4, 0, 8, -4, 4, -14, 20, -18, 24]);
  });
});

describe("runLloyd", () => {
  it("runLloyd(1-D data, a centroid far from everything) re-seeds the empty cluster with the farthest vector", async () => {
    const values = Float32Array.of(0, 0.1, 0.2, 10, 10.1, 10.2, 20);
    const norms = rowSquaredNorms(values, 7, 1);
    const [result] = await runLloyd(engine, values, [7, 1], norms, Float32Array.of(0.1, 100, 10.1), {
      k: 3,
      maxIter: 100,
      tol: 0,
    });
    expect(result?.centroids[1]).toBe(20);
    expect(result?.centroids[0]).toBeCloseTo(0.1, 6);
    expect(result?.centroids[2]).toBeCloseTo(10.1, 5);
    expect([...(result?.labels ?? [])]).toEqual([0, 0, 0, 2, 2, 2, 1]);
    expect(result?.inertia).toBeCloseTo(0.04, 4);
  });

  it("runLloyd(…, {maxIter: 2}) stops every restart after two steps", async () => {
    const values = Float32Array.from({ length: 200 }, (_, i) => Math.sin(i * 1.7) * 10);
    const norms = rowSquaredNorms(values, 100, 2);
    const results = await runLloyd(engine, values, [100, 2], norms, values.slice(0, 16), {
      k: 4,
      maxIter: 2,
      tol: 0,
    });
    expect(results.map((r) => r.iterations)).toEqual([2, 2]);
  });
});
