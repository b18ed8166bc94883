import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CancelledError, InputError, OptionRangeError, OptionTypeError } from "../../src/errors";
import { readNpy } from "../../src/features/npy";
import { kmeans, releaseKMeansSessions } from "../../src/kmeans/kmeans";
import { createKMeansWorker } from "../../src/kmeans/kmeans-client";
import { KMEANS_DEFAULTS } from "../../src/kmeans/kmeans-options";

afterAll(() => releaseKMeansSessions());

const FIXTURES = "test/fixtures/kmeans";

interface References {
  ks: number[];
  cases: Record<string, { file: string; shape: [number, number]; inertia: Record<string, number> }>;
}
const references = JSON.parse(readFileSync(join(FIXTURES, "references.json"), "utf8")) as References;

function fixture(name: string): { data: Float32Array; dims: [number, number] } {
  const array = readNpy(join(FIXTURES, `${name}.npy`));
  return { data: array.data as Float32Array, dims: array.dims as [number, number] };
}

/** Rows scaled to unit length in float64, rounded to float32 (as seglens clusters them). */
function normalized(data: Float32Array, [n, d]: [number, number]): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += (data[i * d + j] as number) ** 2;
    for (let j = 0; j < d; j++) out[i * d + j] = (data[i * d + j] as number) / Math.sqrt(sum);
  }
  return out;
}

/** Σ ‖x − c(label)‖² in float64, plainly. */
function inertiaOf(
  data: Float32Array,
  [n, d]: [number, number],
  labels: Int32Array,
  centroids: Float32Array,
): number {
  let total = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++)
      total += ((data[i * d + j] as number) - (centroids[(labels[i] as number) * d + j] as number)) ** 2;
  return total;
}

/** Centroid rows as arrays, sorted, for order-free comparison. */
function sortedRows(centroids: Float32Array, d: number): number[][] {
  const rows = Array.from({ length: centroids.length / d }, (_, c) => [
    ...centroids.subarray(c * d, c * d + d),
  ]);
  return rows.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
}

describe("kmeans against scikit-learn KMeans(n_init=10, random_state=0)", () => {
  for (const [name, c] of Object.entries(references.cases)) {
    for (const k of references.ks) {
      it(`kmeans(${name} ${c.shape.join("×")}, {k: ${k}}) has inertia ≤ 1.01 × scikit-learn's (defaults otherwise)`, async () => {
        const { data, dims } = fixture(name);
        const result = await kmeans(data, dims, { k });
        expect(result.inertia).toBeLessThanOrEqual(1.01 * (c.inertia[k] as number));
        expect(result.inertia).toBeGreaterThan(0.9 * (c.inertia[k] as number));
      });
    }
  }
});

describe("kmeans on hand-computed cases", () => {
  it("kmeans(two squares of 4 points, {k: 2, normalize: none}) finds their centres and inertia 4", async () => {
    const data = Float32Array.of(1, 1, 1, 2, 2, 1, 2, 2, 8, 8, 8, 9, 9, 8, 9, 9);
    const result = await kmeans(data, [8, 2], { k: 2, normalize: "none" });
    expect(sortedRows(result.centroids, 2)).toEqual([
      [1.5, 1.5],
      [8.5, 8.5],
    ]);
    expect(result.labels.slice(0, 4).every((l) => l === result.labels[0])).toBe(true);
    expect(result.labels.slice(4).every((l) => l === result.labels[4])).toBe(true);
    expect(result.labels[0]).not.toBe(result.labels[4]);
    expect(result.inertia).toBe(4);
  });

  it("kmeans(1-D pairs 0,1 | 10,11 | 20,21, {k: 3, normalize: none}) gives centres 0.5, 10.5, 20.5 and inertia 1.5", async () => {
    const data = Float32Array.of(0, 1, 10, 11, 20, 21);
    const result = await kmeans(data, [6, 1], { k: 3, normalize: "none" });
    expect([...result.centroids].sort((a, b) => a - b)).toEqual([0.5, 10.5, 20.5]);
    expect(result.inertia).toBe(1.5);
    expect(result.labels[0]).toBe(result.labels[1]);
    expect(new Set(result.labels).size).toBe(3);
  });

  it("kmeans(vectors along two axes, {k: 2}) with l2 groups them by direction at inertia 0", async () => {
    const data = Float32Array.of(1, 0, 2, 0, 30, 0, 0, 1, 0, 5, 0, 40);
    const result = await kmeans(data, [6, 2], { k: 2 });
    expect(result.inertia).toBe(0);
    expect(sortedRows(result.centroids, 2)).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(new Set(result.labels.slice(0, 3)).size).toBe(1);
    expect(new Set(result.labels.slice(3)).size).toBe(1);
  });

  it("kmeans(the same vectors, {k: 2, normalize: none}) groups by magnitude instead", async () => {
    const data = Float32Array.of(1, 0, 2, 0, 30, 0, 0, 1, 0, 5, 0, 40);
    const result = await kmeans(data, [6, 2], { k: 2, normalize: "none" });
    // (0, 40) is far from everything: alone, or with (30, 0); never grouped by axis.
    expect(result.labels[5]).not.toBe(result.labels[0]);
    expect(result.labels[0]).toBe(result.labels[3]);
    expect(result.inertia).toBeGreaterThan(0);
  });
});

describe("kmeans results", () => {
  it("kmeans(data, {normalize: l2}) inertia equals the float64 sum of squared distances over the normalized vectors", async () => {
    const { data, dims } = fixture("vit-small-tokens-L6");
    const result = await kmeans(data, dims, { k: 6 });
    const recomputed = inertiaOf(normalized(data, dims), dims, result.labels, result.centroids);
    expect(Math.abs(result.inertia - recomputed) / recomputed).toBeLessThan(1e-6);
  });

  it("kmeans(data, {normalize: none}) inertia equals the float64 sum of squared distances to the returned centroids", async () => {
    const { data, dims } = fixture("anisotropic");
    const result = await kmeans(data, dims, { k: 6, normalize: "none" });
    const recomputed = inertiaOf(data, dims, result.labels, result.centroids);
    expect(Math.abs(result.inertia - recomputed) / recomputed).toBeLessThan(1e-12);
  });

  it("kmeans(data) labels every vector with its nearest centroid, and reports iterations and restarts", async () => {
    const { data, dims } = fixture("overlapping");
    const [n, d] = dims;
    const result = await kmeans(data, dims, { k: 16 });
    const x = normalized(data, dims);
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const distances = Array.from({ length: 16 }, (_, c) => {
        let s = 0;
        for (let j = 0; j < d; j++)
          s += ((x[i * d + j] as number) - (result.centroids[c * d + j] as number)) ** 2;
        return s;
      });
      const own = distances[result.labels[i] as number] as number;
      if (own > Math.min(...distances) + 1e-5) wrong++;
    }
    expect(wrong).toBe(0);
    expect(result.labels.length).toBe(n);
    expect(result.centroids.length).toBe(16 * d);
    expect(result.iterations).toBeGreaterThan(0);
    expect(result.iterations).toBeLessThanOrEqual(KMEANS_DEFAULTS.maxIter);
    expect(result.restartsRun).toBe(KMEANS_DEFAULTS.restarts);
  });

  it("kmeans(data, {seed}) twice gives identical labels, centroids and inertia", async () => {
    const { data, dims } = fixture("overlapping");
    const a = await kmeans(data, dims, { k: 16, seed: 7 });
    const b = await kmeans(data, dims, { k: 16, seed: 7 });
    expect(b.labels).toEqual(a.labels);
    expect(b.centroids).toEqual(a.centroids);
    expect(b.inertia).toBe(a.inertia);
  });

  it("kmeans(data, {seed: 0..3}) finds different labelings on data with many local optima", async () => {
    const { data, dims } = fixture("overlapping");
    const labelings = new Set<string>();
    for (const seed of [0, 1, 2, 3])
      labelings.add((await kmeans(data, dims, { k: 16, seed, restarts: 1 })).labels.join());
    expect(labelings.size).toBeGreaterThan(1);
  });

  it("kmeans(data, {maxIter: 1}) stops after one Lloyd step", async () => {
    const { data, dims } = fixture("overlapping");
    const result = await kmeans(data, dims, { k: 6, maxIter: 1 });
    expect(result.iterations).toBe(1);
  });

  it("kmeans(data, {fitSampleSize}) fits on a sample and still labels every vector", async () => {
    const { data, dims } = fixture("blobs");
    const full = await kmeans(data, dims, { k: 6 });
    const sampled = await kmeans(data, dims, { k: 6, fitSampleSize: 300, sampleSize: 100 });
    expect(sampled.labels.length).toBe(dims[0]);
    // Centroids from 50 vectors per blob are a little off, but the blobs come out the same.
    expect(sampled.inertia).toBeLessThanOrEqual(1.03 * full.inertia);
    const match = new Map<number, number>();
    sampled.labels.forEach((label, i) => {
      match.set(label, full.labels[i] as number);
    });
    expect(sampled.labels.every((label, i) => match.get(label) === full.labels[i])).toBe(true);
    const recomputed = inertiaOf(normalized(data, dims), dims, sampled.labels, sampled.centroids);
    expect(Math.abs(sampled.inertia - recomputed) / recomputed).toBeLessThan(1e-6);
  });
});

describe("kmeans with empty clusters", () => {
  it("kmeans(3 distinct points × 4 copies, {k: 5}) keeps copies together, finite centroids, inertia 0", async () => {
    const points = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    const data = Float32Array.from(
      { length: 36 },
      (_, f) => points[Math.floor(f / 3) % 3]?.[f % 3] as number,
    );
    const result = await kmeans(data, [12, 3], { k: 5 });
    expect(result.inertia).toBe(0);
    expect(result.centroids.every(Number.isFinite)).toBe(true);
    for (let i = 3; i < 12; i++) expect(result.labels[i]).toBe(result.labels[i % 3]);
    expect(new Set(result.labels).size).toBe(3);
    expect([...result.labels].every((l) => l >= 0 && l < 5)).toBe(true);
  });

  it("kmeans(all-equal vectors, {k: 3}) puts them in one cluster at inertia 0", async () => {
    const data = new Float32Array(20 * 4).fill(0.5);
    const result = await kmeans(data, [20, 4], { k: 3 });
    expect(new Set(result.labels).size).toBe(1);
    expect(result.inertia).toBe(0);
    expect(result.centroids.every(Number.isFinite)).toBe(true);
  });

  it("kmeans(all-zero rows, {normalize: l2}) leaves them at zero instead of dividing by zero", async () => {
    const data = Float32Array.of(0, 0, 0, 0, 3, 4, 6, 8);
    const result = await kmeans(data, [4, 2], { k: 2 });
    expect(result.inertia).toBe(0);
    expect(result.labels[0]).toBe(result.labels[1]);
    expect(result.labels[2]).toBe(result.labels[3]);
    expect(result.labels[0]).not.toBe(result.labels[2]);
  });
});

describe("kmeans input checks", () => {
  const data = new Float32Array(30).map((_, i) => Math.sin(i));
  it("kmeans(3 vectors, {k: 6}) throws an InputError saying it needs at least 6 vectors", async () => {
    await expect(kmeans(data.subarray(0, 9), [3, 3], { k: 6 })).rejects.toThrow(InputError);
    await expect(kmeans(data.subarray(0, 9), [3, 3], { k: 6 })).rejects.toThrow(
      /k = 6 needs at least 6 vectors; got n = 3/,
    );
  });

  it.each([
    [{ k: 1 }, OptionRangeError, /invalid k-means option k: 1; expected an integer in 2\.\.32/],
    [{ k: 33 }, OptionRangeError, /option k: 33/],
    [{ k: 2.5 }, OptionRangeError, /option k: 2\.5/],
    [{ k: "6" }, OptionTypeError, /option k: "6"; expected an integer/],
    [{ restarts: 0 }, OptionRangeError, /option restarts: 0/],
    [{ maxIter: 0 }, OptionRangeError, /option maxIter: 0/],
    [{ seed: -1 }, OptionRangeError, /option seed: -1/],
    [{ tol: -1 }, OptionRangeError, /option tol: -1; expected a finite number ≥ 0/],
    [{ tol: "small" }, OptionTypeError, /option tol: "small"/],
    [{ normalize: "l1" }, OptionRangeError, /option normalize: "l1"; expected "l2" or "none"/],
    [{ sampleSize: 1 }, OptionRangeError, /option sampleSize: 1/],
  ])(
    "kmeans(data, %j) throws %o (an InputError) naming the option and value",
    async (options, type, message) => {
      const run = kmeans(data, [10, 3], options as never);
      await expect(run).rejects.toThrow(type);
      await expect(kmeans(data, [10, 3], options as never)).rejects.toThrow(InputError);
      await expect(kmeans(data, [10, 3], options as never)).rejects.toThrow(message);
    },
  );

  it("kmeans(data, dims that do not match its length) throws an InputError quoting both", async () => {
    await expect(kmeans(data, [10, 4])).rejects.toThrow(/has 30 values, but dims \[10, 4\] need 40/);
  });

  it("kmeans(Float64Array) throws a TypeError", async () => {
    await expect(kmeans(new Float64Array(30) as never, [10, 3])).rejects.toThrow(TypeError);
  });

  it("kmeans(data with a NaN) throws an InputError naming the row and column", async () => {
    const bad = data.slice();
    bad[7] = Number.NaN;
    await expect(kmeans(bad, [10, 3])).rejects.toThrow(/row 2 has a non-finite value \(NaN\) at column 1/);
  });

  it("kmeans(data, {signal: aborted}) rejects with CancelledError", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(kmeans(data, [10, 3], { k: 2, signal: controller.signal })).rejects.toThrow(CancelledError);
  });
});

describe("kmeans in a worker thread", () => {
  it("createKMeansWorker().fit(data) returns the same labels, centroids and inertia as kmeans(data)", async () => {
    const worker = createKMeansWorker();
    try {
      for (const [name, k] of [
        ["vit-small-q-L12", 6],
        ["anisotropic", 16],
      ] as const) {
        const { data, dims } = fixture(name);
        const inThread = await kmeans(data, dims, { k });
        const inWorker = await worker.fit(data, dims, { k });
        expect(inWorker.labels).toEqual(inThread.labels);
        expect(inWorker.centroids).toEqual(inThread.centroids);
        expect(inWorker.inertia).toBe(inThread.inertia);
        expect(data.length).toBe(dims[0] * dims[1]); // Copied, not transferred, by default.
      }
    } finally {
      await worker.dispose();
    }
  });

  it("createKMeansWorker({workers: 2}).fit of 4 arrays at once gives each the in-thread result", async () => {
    const worker = createKMeansWorker({ workers: 2, threads: 1 });
    try {
      const cases = ["blobs", "anisotropic", "overlapping", "vit-small-tokens-L6"].map(fixture);
      const inWorkers = await Promise.all(cases.map(({ data, dims }) => worker.fit(data, dims, { k: 6 })));
      for (const [i, { data, dims }] of cases.entries()) {
        const inThread = await kmeans(data, dims, { k: 6 });
        expect(inWorkers[i]?.labels).toEqual(inThread.labels);
        expect(inWorkers[i]?.inertia).toBe(inThread.inertia);
      }
    } finally {
      await worker.dispose();
    }
  });

  it("createKMeansWorker({workers: 0}) throws an OptionRangeError", () => {
    expect(() => createKMeansWorker({ workers: 0 })).toThrow(OptionRangeError);
    expect(() => createKMeansWorker({ workers: 0 })).toThrow(
      /invalid k-means workers: 0; expected an integer in 1\.\.64/,
    );
  });

  it("fit(data, {transfer: true}) hands the buffer over; fit(data, {k: 40}) rejects with an OptionRangeError before sending", async () => {
    const worker = createKMeansWorker({ workers: 1, threads: 1 });
    try {
      const { data, dims } = fixture("blobs");
      const copy = data.slice();
      const result = await worker.fit(copy, dims, { k: 6, transfer: true });
      expect(copy.length).toBe(0);
      expect(result.labels.length).toBe(dims[0]);
      await expect(worker.fit(data, dims, { k: 40 })).rejects.toThrow(OptionRangeError);
      await expect(worker.fit(data.subarray(0, 64), [2, 32], { k: 6 })).rejects.toThrow(InputError);
    } finally {
      await worker.dispose();
    }
  });

  it("fit(data, {signal}) aborted mid-fit rejects with CancelledError and the worker serves the next fit", async () => {
    const worker = createKMeansWorker();
    try {
      const { data, dims } = fixture("overlapping");
      const controller = new AbortController();
      const run = worker.fit(data, dims, { k: 32, restarts: 20, signal: controller.signal });
      setTimeout(() => controller.abort(), 1);
      await expect(run).rejects.toThrow(CancelledError);
      const next = await worker.fit(data, dims, { k: 2 });
      expect(next.labels.length).toBe(dims[0]);
    } finally {
      await worker.dispose();
    }
  });
});
