import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  extractFeatures,
  type PixelSource,
  sessionOptions,
  tensorPixels,
} from "../../src/features/extract-features";
import { prepareTappedModel } from "../../src/onnx/tapped-model";
import { createInferenceWorker, type InferenceWorker } from "../../src/runtime/inference-client";
import { reference } from "../support/fixtures";
import { testCacheDir } from "../support/temp";

const cacheDir = testCacheDir();
afterAll(() => cacheDir.remove());
const FIXTURE = "models/fixtures/vit-tf4";

/** The fixture's inputs repeated to `images` images. */
function inputs(images: number): PixelSource {
  const pixels = reference(FIXTURE, "pixel_values");
  const [n, c, h, w] = pixels.dims as [number, number, number, number];
  const plane = c * h * w;
  const data = new Float32Array(images * plane);
  for (let i = 0; i < images; i++)
    data.set(pixels.data.subarray((i % n) * plane, ((i % n) + 1) * plane), i * plane);
  return tensorPixels(data, [images, c, h, w]);
}

// One image per batch: the fetched outputs of one image (2 layers × (16 + 8) tokens × 32 floats).
const ONE_IMAGE = 2 * 24 * 32 * 4;

describe("decoding ahead while the session opens", () => {
  it("several batches are loaded before the first one runs, one load at a time, and every image once", async () => {
    const tapped = prepareTappedModel(join(FIXTURE, "onnx", "model.onnx"), { cacheDir: cacheDir.path });
    const images = 8;
    const source = inputs(images);
    const loads: number[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const watched: PixelSource = {
      ...source,
      async load(first, count) {
        loads.push(first);
        mostAtOnce = Math.max(mostAtOnce, ++running);
        try {
          return await source.load(first, count);
        } finally {
          running--;
        }
      },
    };
    let loadsBeforeFirstBatch: number | undefined;
    const report = await extractFeatures(
      tapped,
      {
        inputs: watched,
        reps: ["tokens"],
        threads: 1,
        budgetBytes: ONE_IMAGE,
        onProgress: () => {
          loadsBeforeFirstBatch ??= loads.length;
        },
      },
      () => {},
    );
    expect(report.batchSize).toBe(1);
    // Without reading ahead, only the first batch and the one after it are loaded by then.
    expect(loadsBeforeFirstBatch).toBeGreaterThanOrEqual(4);
    expect(mostAtOnce).toBe(1);
    expect(loads).toEqual(Array.from({ length: images }, (_, i) => i));
  });
});

describe("inference runs while the sink takes the batch before", () => {
  it("the next batch is sent to the worker before the sink is given the current one", async () => {
    const tapped = prepareTappedModel(join(FIXTURE, "onnx", "model.onnx"), { cacheDir: cacheDir.path });
    const opened = await createInferenceWorker(tapped.path, sessionOptions(tapped, { threads: 1 }));
    let sent = 0;
    const worker: InferenceWorker = {
      ...opened,
      run(feeds, fetches) {
        sent++;
        return opened.run(feeds, fetches);
      },
    };
    const sentAtDelivery: number[] = [];
    try {
      await extractFeatures(
        tapped,
        { inputs: inputs(4), reps: ["tokens"], layers: [1], budgetBytes: 24 * 32 * 4, worker },
        async () => {
          sentAtDelivery.push(sent);
        },
      );
    } finally {
      await opened.dispose();
    }
    // Without overlap the worker gets batch i + 1 only after batch i is delivered: [1, 2, 3, 4].
    expect(sentAtDelivery).toEqual([2, 3, 4, 4]);
  });
});
