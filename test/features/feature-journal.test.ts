import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CancelledError } from "../../src/errors";
import {
  type ExtractProgress,
  extractFeatures,
  type FeatureBatch,
  imagePixels,
  type PixelSource,
} from "../../src/features/extract-features";
import { createFeatureCache, featureKeys } from "../../src/features/feature-cache";
import { createFeatureJournal } from "../../src/features/feature-journal";
import { prepareRequest } from "../../src/features/feature-request";
import { segment } from "../../src/segmentation/segment";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const MODEL = "models/fixtures/dinov2-tf4";

/** The model's inputs, counting the images actually decoded (the work a resumed run must skip). */
function counted(source: PixelSource): PixelSource & { loaded: number } {
  const counting = {
    ...source,
    loaded: 0,
    load(first: number, n: number) {
      counting.loaded += n;
      return source.load(first, n);
    },
  };
  return counting;
}

/** Every batch a sink receives, stacked per key in image order. */
function collector(): { sink: (batch: FeatureBatch) => void; arrays(): Map<string, number[]> } {
  const batches: FeatureBatch[] = [];
  return {
    sink: (batch) => {
      batches.push({ ...batch, data: batch.data.slice() });
    },
    arrays() {
      const out = new Map<string, number[]>();
      for (const b of [...batches].sort((x, y) => x.firstImage - y.firstImage)) {
        out.set(b.key, [...(out.get(b.key) ?? []), ...b.data]);
      }
      return out;
    },
  };
}

describe("extractFeatures with a journal", () => {
  it("an interrupted run keeps its finished images; the rerun decodes only the others and gives the same arrays", async () => {
    const request = await prepareRequest({ model: MODEL, images: ["models/samples"], reps: "tokens,k" });
    const keys = await featureKeys(request);
    const journal = createFeatureJournal(join(temp.path, "journal"), keys.imageIds);
    const options = { layers: request.layers, reps: request.reps, budgetBytes: 1 }; // one image per batch
    const controller = new AbortController();
    const first = counted(imagePixels(request.images, request.preprocess));
    const run = extractFeatures(
      request.tapped,
      {
        ...options,
        inputs: first,
        journal,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done === 2) controller.abort();
        },
      },
      () => {},
    );
    await expect(run).rejects.toThrow(CancelledError);
    const journaled = [0, 1, 2, 3, 4].filter((i) =>
      journal.has(i, ["tokens_L1", "tokens_L2", "k_L1", "k_L2"]),
    );
    expect(journaled).toEqual([0, 1]);

    const resumed = collector();
    const second = counted(imagePixels(request.images, request.preprocess));
    const progress: ExtractProgress[] = [];
    const report = await extractFeatures(
      request.tapped,
      { ...options, inputs: second, journal, onProgress: (p) => progress.push(p) },
      resumed.sink,
    );
    expect(second.loaded).toBe(3);
    expect(report.journaledImages).toBe(2);
    expect(progress.at(-1)).toEqual({ stage: "inference", done: 5, total: 5, journaled: 2 });

    const fresh = collector();
    await extractFeatures(
      request.tapped,
      { ...options, inputs: imagePixels(request.images, request.preprocess) },
      fresh.sink,
    );
    expect(resumed.arrays()).toEqual(fresh.arrays());
    journal.clear();
    expect(existsSync(join(temp.path, "journal"))).toBe(false);
  });
});

describe("segment() with an on-disk cache", () => {
  it("interrupted during extraction, the rerun reads the finished images back and gives the same labels as a fresh run", async () => {
    // 70 distinct files: a first batch of 64 images, then 6.
    const images = join(temp.path, "seventy");
    mkdirSync(images);
    const samples = readdirSync("models/samples").filter((f) => /\.(png|jpg)$/.test(f));
    for (let i = 0; i < 70; i++) {
      const sample = samples[i % samples.length] as string;
      copyFileSync(join("models/samples", sample), join(images, `${String(i).padStart(3, "0")}-${sample}`));
    }
    // Identical copies share journal entries (keyed by contents): 5 distinct images in all.
    const cache = createFeatureCache({ dir: join(temp.path, "features") });
    const request = { model: MODEL, images: [images], reps: "tokens", k: 3 };
    const controller = new AbortController();
    const interrupted = segment({
      ...request,
      cache,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === "inference") controller.abort();
      },
    });
    await expect(interrupted).rejects.toThrow(CancelledError);
    expect(readdirSync(join(temp.path, "features", "partial"))).toHaveLength(1);

    const progress: ExtractProgress[] = [];
    const resumed = await segment({
      ...request,
      cache: createFeatureCache({ dir: join(temp.path, "features") }),
      onProgress: (p) => {
        if (p.stage === "inference") progress.push(p);
      },
    });
    expect(progress.at(-1)).toEqual({ stage: "inference", done: 70, total: 70, journaled: 70 });
    expect(readdirSync(join(temp.path, "features", "partial"))).toEqual([]); // dropped once cached whole
    const fresh = await segment({ ...request, cache: createFeatureCache() });
    expect(resumed.labels).toEqual(fresh.labels);
  });
});
