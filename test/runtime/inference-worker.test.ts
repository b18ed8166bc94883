import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildVitOnnx } from "../../src/bench/bench-vit";
import { CancelledError } from "../../src/errors";
import { extractFeatures, tensorPixels } from "../../src/features/extract-features";
import { prepareTappedModel } from "../../src/onnx/tapped-model";
import { createInferenceWorker } from "../../src/runtime/inference-client";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());

// A ViT with 1,025 tokens: slow enough per image (tens of ms) to observe the main thread meanwhile.
const shape = { depth: 4, hiddenSize: 64, heads: 4, mlpSize: 128, patchSize: 4, imageSize: 128 };
const modelPath = join(temp.path, "slow-vit.onnx");
writeFileSync(modelPath, buildVitOnnx(shape));
const images = 8;
const pixels = new Float32Array(images * 3 * 128 * 128).map((_, i) => Math.sin(i));
const dims = [images, 3, 128, 128] as const;

describe("inference off the main thread", () => {
  it("timers on the main thread keep firing while a batch runs in the worker", async () => {
    const worker = await createInferenceWorker(modelPath, { threads: 1 });
    try {
      const ticks: number[] = [];
      const timer = setInterval(() => ticks.push(performance.now()), 5);
      const start = performance.now();
      const { ms } = await worker.run(
        { pixel_values: { type: "float32", data: pixels.slice(), dims: [...dims] } },
        ["last_hidden_state"],
      );
      const end = performance.now();
      clearInterval(timer);
      // The run must be long enough for the check to mean something.
      expect(ms).toBeGreaterThan(50);
      // A blocked event loop would leave one gap as long as the run; a free one ticks all along
      // (every 5 ms when idle, less often when other work keeps the cores busy, never all at the end).
      const marks = [start, ...ticks, end];
      const longestGap = Math.max(...marks.slice(1).map((t, i) => t - (marks[i] as number)));
      expect(ticks.length).toBeGreaterThan(3);
      expect(longestGap).toBeLessThan((end - start) / 4);
    } finally {
      await worker.dispose();
    }
  });

  it("an aborted extraction stops after the batch in flight, with CancelledError", async () => {
    const tapped = prepareTappedModel(modelPath, { cacheDir: temp.path });
    const controller = new AbortController();
    const progress: number[] = [];
    const batches: number[] = [];
    const run = extractFeatures(
      tapped,
      {
        inputs: tensorPixels(pixels, dims),
        reps: ["tokens"],
        layers: [4],
        budgetBytes: 1, // one image per batch
        threads: 1,
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p.done);
          if (p.done === 2) controller.abort();
        },
      },
      (batch) => {
        batches.push(batch.firstImage);
      },
    );
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(progress).toEqual([1, 2]);
    expect(batches).toEqual([0, 1]);
  });
});
