import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { npyHeader, readNpy, writeNpy } from "../../src/features/npy";
import { createKMeansWorker } from "../../src/kmeans/kmeans-client";
import type { RowFile } from "../../src/util/row-file";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
const worker = createKMeansWorker();
afterAll(async () => {
  await worker.dispose();
  temp.remove();
});

const blobs = readNpy("test/fixtures/kmeans/blobs.npy");
const data = blobs.data as Float32Array;
const [n, d] = blobs.dims as [number, number];

/** The rows as one .npy file. */
function wholeFile(name: string, values: Float32Array): RowFile {
  const path = join(temp.path, name);
  writeNpy(path, { dtype: "float32", dims: [n, d], data: values });
  return {
    dtype: "float32",
    width: d,
    rows: n,
    spans: [{ path, offset: npyHeader("float32", [n, d]).length, rows: n }],
  };
}

/**
 * The rows as a features file `[images, prefix + patches, d]` with junk prefix rows, read one span
 * per image: the layout of `seglens features` output.
 */
function featuresFile(perImage: number, prefix: number): RowFile {
  const images = n / perImage;
  const tokens = prefix + perImage;
  const values = new Float32Array(images * tokens * d).fill(1e30);
  for (let i = 0; i < images; i++)
    values.set(data.subarray(i * perImage * d, (i + 1) * perImage * d), (i * tokens + prefix) * d);
  const path = join(temp.path, "features.npy");
  const header = npyHeader("float32", [images, tokens, d]);
  writeFileSync(path, Buffer.concat([header, Buffer.from(values.buffer)]));
  const rowBytes = d * 4;
  const spans = Array.from({ length: images }, (_, i) => ({
    path,
    offset: header.length + (i * tokens + prefix) * rowBytes,
    rows: perImage,
  }));
  return { dtype: "float32", width: d, rows: n, spans };
}

describe("k-means over rows in a file (read by the worker, a sample and a chunk at a time)", () => {
  for (const [what, options] of [
    ["all rows fitted", { k: 6 }],
    ["fitted on a sample, then assigned", { k: 6, fitSampleSize: 300, sampleSize: 100 }],
    ["no normalization, sample", { k: 4, normalize: "none" as const, fitSampleSize: 257 }],
  ] as const) {
    it(`gives exactly the labels, centroids and inertia of the same rows in memory (${what})`, async () => {
      const inMemory = await worker.fit(data, [n, d], options);
      for (const file of [wholeFile("whole.npy", data), featuresFile(n / 12, 2)]) {
        const fromFile = await worker.fitFile(file, options);
        expect(fromFile.labels).toEqual(inMemory.labels);
        expect(fromFile.centroids).toEqual(inMemory.centroids);
        expect(fromFile.inertia).toBe(inMemory.inertia);
      }
    });
  }

  it("a non-finite value is an InputError naming its row in the whole matrix, also past the sample", async () => {
    const bad = data.slice();
    bad[(n - 3) * d + 1] = Number.NaN;
    const file = wholeFile("nan.npy", bad);
    await expect(worker.fitFile(file, { k: 6, fitSampleSize: 10 })).rejects.toThrow(
      new RegExp(`row ${n - 3} has a non-finite value \\(NaN\\) at column 1`),
    );
    await expect(worker.fitFile(file, { k: 6 })).rejects.toBeInstanceOf(InputError);
  });

  it("fewer rows than K, or a truncated file, is an InputError", async () => {
    const file = wholeFile("few.npy", data);
    await expect(
      worker.fitFile(
        { ...file, rows: 3, spans: [{ ...(file.spans[0] as RowFile["spans"][0]), rows: 3 }] },
        { k: 6 },
      ),
    ).rejects.toThrow(/at least 6 vectors/);
    await expect(
      worker.fitFile(
        { ...file, rows: n + 5, spans: [{ ...(file.spans[0] as RowFile["spans"][0]), rows: n + 5 }] },
        { k: 6 },
      ),
    ).rejects.toThrow(/truncated/);
  });
});
