import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { imagePixels } from "../../src/features/extract-features";
import { prepareRequest } from "../../src/features/feature-request";
import { collectFeatures } from "../../src/features/feature-set";
import { features } from "../../src/features/features";
import { readNpy } from "../../src/features/npy";
import { createRuntimeSession } from "../../src/runtime/onnx-runtime";
import { compare } from "../support/fixtures";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());

describe("features from image files", () => {
  it("decoding + preprocessing + inference equals the model run on transformers' PIL-preprocessed pixels", async () => {
    // The DINOv2 fixture with the Bit processor config whose PIL output test/fixtures/images holds.
    const folder = join(temp.path, "dinov2");
    mkdirSync(join(folder, "onnx"), { recursive: true });
    copyFileSync("models/fixtures/dinov2-tf4/onnx/model.onnx", join(folder, "onnx", "model.onnx"));
    copyFileSync("models/fixtures/dinov2-tf4/config.json", join(folder, "config.json"));
    copyFileSync("test/fixtures/images/hf-bit.json", join(folder, "preprocessor_config.json"));
    const request = await prepareRequest({
      model: folder,
      images: ["models/samples/chelsea.png", "models/samples/coffee.png"],
    });

    const set = await collectFeatures(request.tapped, {
      inputs: imagePixels(request.images, request.preprocess),
      layers: request.layers,
      reps: ["tokens"],
      threads: 1,
    });

    const pil = readNpy("test/fixtures/images/hf-bit.npy");
    const session = await createRuntimeSession(request.tapped.path, { threads: 1 });
    const names = request.tapped.taps.blocks.map((b) => b.tokens);
    const expected = await session.run(
      { pixel_values: { type: "float32", data: pil.data, dims: pil.dims } },
      names,
    );
    await session.dispose();
    names.forEach((name, i) => {
      const { maxAbsDiff, maxAbsRef } = compare(
        set.arrays.get(`tokens_L${i + 1}`) as Float32Array,
        expected[name]?.data as Float32Array,
      );
      expect(maxAbsDiff).toBeLessThanOrEqual(1e-4 * Math.max(1, maxAbsRef));
    });
  });
});

describe("features()", () => {
  it("features({ reps: 'q', layers: '2' }) returns just q_L2 as [images, tokens, hidden] and reports progress", async () => {
    const progress: number[] = [];
    const set = await features({
      model: "models/fixtures/dinov2-reg-tf4",
      images: ["models/samples/chelsea.png", "models/samples/camera.png", "models/samples/rocket.jpg"],
      reps: "q",
      layers: "2",
      onProgress: (p) => progress.push(p.done),
    });
    expect([...set.arrays.keys()]).toEqual(["q_L2"]);
    expect(set.layout).toMatchObject({
      numImages: 3,
      prefixTokens: 5,
      grid: [4, 4],
      tokens: 21,
      hiddenSize: 32,
    });
    expect(set.arrays.get("q_L2")).toHaveLength(3 * 21 * 32);
    expect(progress.at(-1)).toBe(3);
  });
});
