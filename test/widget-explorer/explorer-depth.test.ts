import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { createExplorerEngine } from "../../src/widget/explorer-engine";
import { testCacheDir } from "../support/temp";
import { writeTestVit } from "../support/test-vit";

// Models of different depth side by side in the explorer: a 6-block random ViT (made by the graph
// builder) and the bundled 2-block DINOv2, matched by relative depth.
const temp = testCacheDir();
const shallow = resolve("models/fixtures/dinov2-tf4");
const images = [resolve("models/samples")];
let deep: string;

beforeAll(() => {
  deep = writeTestVit(join(temp.path, "vit-6-blocks"));
});
afterAll(() => temp.remove());

const request = (models: string[], layerRange?: [number, number]) => ({
  models,
  k: 3,
  rep: "tokens" as const,
  layerRange,
  normalize: "l2" as const,
});

describe("explorer engine: models of any depth side by side", () => {
  it("layers are the first model's; the other shows the block at the same relative depth, in its own numbering", async () => {
    const engine = createExplorerEngine({ images, frameCacheSize: 0 });
    const signal = new AbortController().signal;
    try {
      const result = await engine.compute(request([deep, shallow]), signal, () => undefined);
      expect(result.layerBounds).toEqual([1, 6]);
      expect(result.frame.layers).toEqual([1, 2, 3, 4, 5, 6]);
      expect(result.frame.model_layers).toEqual([
        [1, 2, 3, 4, 5, 6],
        [1, 1, 1, 1, 2, 2],
      ]);
      expect(result.frame.labels.shape).toEqual([2, 6, 5, 4, 4]);
      // The range names the first model's blocks; the shallower model is never out of range.
      const part = await engine.compute(request([deep, shallow], [4, 6]), signal, () => undefined);
      expect(part.frame.model_layers).toEqual([
        [4, 5, 6],
        [1, 2, 2],
      ]);
      // Shallow first: its 2 blocks map to blocks 3 and 6 of the deeper model.
      const swapped = await engine.compute(request([shallow, deep]), signal, () => undefined);
      expect(swapped.frame.model_layers).toEqual([
        [1, 2],
        [3, 6],
      ]);
      // Out of range for the first model stays an error.
      await expect(engine.compute(request([shallow, deep], [1, 3]), signal, () => undefined)).rejects.toThrow(
        InputError,
      );
    } finally {
      await engine.dispose();
    }
  });
});
