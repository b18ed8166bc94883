import { getEventListeners } from "node:events";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OptionTypeError } from "../../src/errors";
import { readNpy } from "../../src/features/npy";
import { kmeans, releaseKMeansSessions } from "../../src/kmeans/kmeans";
import { createKMeansWorker } from "../../src/kmeans/kmeans-client";

afterAll(() => releaseKMeansSessions());

/** A fixture's rows copied into a SharedArrayBuffer, as the feature cache keeps them in memory. */
function sharedFixture(name: string): { data: Float32Array; dims: [number, number] } {
  const array = readNpy(join("test/fixtures/kmeans", `${name}.npy`));
  const data = new Float32Array(new SharedArrayBuffer(array.data.length * 4));
  data.set(array.data as Float32Array);
  return { data, dims: array.dims as [number, number] };
}

describe("k-means workers on shared data with a dataKey", () => {
  it("fits of one key, at several K, whole and on a sample, l2 and none, equal kmeans() in this thread", async () => {
    const worker = createKMeansWorker({ workers: 2, threads: 1 });
    try {
      const { data, dims } = sharedFixture("vit-small-tokens-L6");
      for (const options of [
        { k: 6 },
        { k: 3 },
        { k: 8, fitSampleSize: 300, sampleSize: 200 },
        { k: 8, normalize: "none" as const },
        { k: 5, restarts: 1, maxIter: 10, fitSampleSize: 256, sampleSize: 256 },
      ]) {
        const inThread = await kmeans(data, dims, options);
        const inWorker = await worker.fit(data, dims, { ...options, dataKey: "tokens L6" });
        expect(inWorker.labels).toEqual(inThread.labels);
        expect(inWorker.centroids).toEqual(inThread.centroids);
        expect(inWorker.inertia).toBe(inThread.inertia);
      }
    } finally {
      await worker.dispose();
    }
  });

  it("the worker keeps a key's prepared rows: after the values change, the same key still fits the old ones", async () => {
    const worker = createKMeansWorker({ workers: 1, threads: 1 });
    try {
      const { data, dims } = sharedFixture("blobs");
      const before = await kmeans(data.slice(), dims, { k: 4 });
      expect((await worker.fit(data, dims, { k: 4, dataKey: "blobs" })).labels).toEqual(before.labels);
      data.reverse(); // breaks the promise a key makes, to show what the worker kept
      const after = await kmeans(data.slice(), dims, { k: 4 });
      expect(after.labels).not.toEqual(before.labels);
      expect((await worker.fit(data, dims, { k: 4, dataKey: "blobs" })).labels).toEqual(before.labels);
      expect((await worker.fit(data, dims, { k: 4, dataKey: "blobs reversed" })).labels).toEqual(
        after.labels,
      );
      expect((await worker.fit(data, dims, { k: 4 })).labels).toEqual(after.labels);
    } finally {
      await worker.dispose();
    }
  });

  it("shared data is read in place: transfer: true leaves the caller's array whole", async () => {
    const worker = createKMeansWorker({ workers: 1, threads: 1 });
    try {
      const { data, dims } = sharedFixture("blobs");
      const result = await worker.fit(data, dims, { k: 6, transfer: true });
      expect(data.length).toBe(dims[0] * dims[1]);
      expect(result.labels).toEqual((await kmeans(data, dims, { k: 6 })).labels);
    } finally {
      await worker.dispose();
    }
  });

  it("fits sharing one signal leave no abort listener on it once settled (a precomputation sends hundreds)", async () => {
    const worker = createKMeansWorker({ workers: 2, threads: 1 });
    try {
      const { data, dims } = sharedFixture("blobs");
      const signal = new AbortController().signal;
      for (let round = 0; round < 3; round++) {
        await Promise.all([2, 3, 4, 5].map((k) => worker.fit(data, dims, { k, restarts: 1, signal })));
        expect(getEventListeners(signal, "abort")).toHaveLength(0);
      }
    } finally {
      await worker.dispose();
    }
  });

  it("warmUp() starts every thread; fits afterwards give the in-thread result", async () => {
    const worker = createKMeansWorker({ workers: 2, threads: 1 });
    try {
      await worker.warmUp();
      const { data, dims } = sharedFixture("anisotropic");
      expect((await worker.fit(data, dims, { k: 6 })).labels).toEqual(
        (await kmeans(data, dims, { k: 6 })).labels,
      );
    } finally {
      await worker.dispose();
    }
  });
});

describe("k-means without the inertia", () => {
  it("kmeans(data, {inertia: false}) gives the same labels and centroids with a NaN inertia, whole and on a sample", async () => {
    const { data, dims } = sharedFixture("overlapping");
    for (const options of [{ k: 5 }, { k: 5, fitSampleSize: 400 }]) {
      const exact = await kmeans(data, dims, options);
      const quick = await kmeans(data, dims, { ...options, inertia: false });
      expect(quick.labels).toEqual(exact.labels);
      expect(quick.centroids).toEqual(exact.centroids);
      expect(Number.isFinite(exact.inertia)).toBe(true);
      expect(quick.inertia).toBeNaN();
    }
  });

  it('kmeans(data, {inertia: "no"}) throws an OptionTypeError naming the option', async () => {
    const { data, dims } = sharedFixture("blobs");
    await expect(kmeans(data, dims, { inertia: "no" as unknown as boolean })).rejects.toThrow(
      OptionTypeError,
    );
    await expect(kmeans(data, dims, { inertia: "no" as unknown as boolean })).rejects.toThrow(
      /invalid k-means option inertia: "no"; expected true or false/,
    );
  });
});
