import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import {
  createPreprocessConfig,
  createRgbImage,
  decodeImage,
  preprocessBatch,
  preprocessConfigFromHub,
  preprocessImage,
  resample,
} from "../../src/images";
import { FIXTURES, fixture, maxAbsDiff, readFloat32Npy, SAMPLES } from "./fixtures";

// transformers 5.18's PIL processors on chelsea.png and coffee.png (test/fixtures/images/README.md).
// Resizing is Pillow-exact and rescale/normalize repeat numpy's float roundings, so the tolerance is 0.
const TOLERANCE = 0;

const hubCases = readdirSync(FIXTURES)
  .filter((name) => name.startsWith("hf-") && name.endsWith(".json"))
  .map((name) => name.slice(3, -5));

describe("preprocessBatch(images, preprocessConfigFromHub(json)) against transformers", () => {
  it("has references for ViT, Bit (DINOv2), CLIP (legacy form), SigLIP and crop_pct", () => {
    expect(hubCases.sort()).toEqual(["bit", "clip", "crop-pct", "siglip", "vit"]);
  });

  for (const name of hubCases) {
    it(`hf-${name}.json on chelsea.png + coffee.png equals transformers' pixel_values within ${TOLERANCE}`, async () => {
      const images = await Promise.all(
        ["chelsea.png", "coffee.png"].map((f) => decodeImage(join(SAMPLES, f))),
      );
      const json: unknown = JSON.parse(readFileSync(fixture(`hf-${name}.json`), "utf8"));
      const reference = readFloat32Npy(`hf-${name}.npy`);
      const batch = preprocessBatch(images, preprocessConfigFromHub(json));
      expect(batch.dims).toEqual(reference.dims);
      expect(maxAbsDiff(batch.data, reference.data)).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});

const bitConfig = (): ReturnType<typeof preprocessConfigFromHub> =>
  preprocessConfigFromHub(JSON.parse(readFileSync(fixture("hf-bit.json"), "utf8")));

/** rescale by 1/255 then ImageNet-normalize one byte of channel c, with transformers' roundings. */
function expectedValue(byte: number, c: number): number {
  const mean = [0.485, 0.456, 0.406][c];
  const std = [0.229, 0.224, 0.225][c];
  return Math.fround(Math.fround(Math.fround(byte * (1 / 255)) - Math.fround(mean)) / Math.fround(std));
}

describe("preprocessImage(image, config)", () => {
  it("a 32×32 image under shortest-edge 40 + crop 32 is used as is: no resize, no crop", async () => {
    const noise = await decodeImage(fixture("noise-61x47.png"));
    const pixels = new Uint8Array(32 * 32 * 3);
    for (let y = 0; y < 32; y++) pixels.set(noise.data.subarray(y * 61 * 3, (y * 61 + 32) * 3), y * 32 * 3);
    const image = createRgbImage(32, 32, pixels);
    const { data, dims } = preprocessImage(image, bitConfig());
    expect(dims).toEqual([3, 32, 32]);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 32 * 32; i++) {
        expect(data[c * 1024 + i]).toBe(expectedValue(pixels[i * 3 + c], c));
      }
    }
    // What transformers would do instead: resize to 40×40, crop 32×32 at offset 4. It differs.
    const resized = resample(image, { height: 40, width: 40, filter: "bicubic" });
    expect(expectedValue(resized.data[(4 * 40 + 4) * 3], 0)).not.toBe(data[0]);
  });

  it("a 2×2 image cropped to 4×4 is zero-padded around the centre, as transformers' center_crop", () => {
    const image = createRgbImage(2, 2, new Uint8Array([255, 255, 255, 0, 0, 0, 0, 0, 0, 255, 255, 255]));
    const config = createPreprocessConfig({
      resize: { mode: "none" },
      crop: { height: 4, width: 4 },
      normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    });
    const { data, dims } = preprocessImage(image, config);
    expect(dims).toEqual([3, 4, 4]);
    expect(Array.from(data.subarray(0, 16))).toEqual([
      -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1,
    ]);
  });

  it("without rescale and normalize the output is the raw bytes as float32, in CHW order", () => {
    const image = createRgbImage(1, 2, new Uint8Array([1, 2, 3, 4, 5, 6]));
    const config = createPreprocessConfig({
      resize: { mode: "exact", height: 1, width: 2 },
      rescaleFactor: null,
      normalize: null,
    });
    expect(Array.from(preprocessImage(image, config).data)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it("a 480×640 image under Bit (shortest edge 40, crop 32) ends at 3×32×32", () => {
    const { dims } = preprocessImage(createRgbImage(480, 640), bitConfig());
    expect(dims).toEqual([3, 32, 32]);
  });
});

describe("preprocessBatch(images, config)", () => {
  it("stacks images of different sizes into [n, 3, h, w], each equal to preprocessImage", () => {
    const config = bitConfig();
    const images = [createRgbImage(50, 70), createRgbImage(32, 32, new Uint8Array(32 * 32 * 3).fill(200))];
    const batch = preprocessBatch(images, config);
    expect(batch.dims).toEqual([2, 3, 32, 32]);
    expect(batch.data.subarray(3 * 1024)).toEqual(preprocessImage(images[1], config).data);
  });

  it("an empty list → InputError", () => {
    expect(() => preprocessBatch([], bitConfig())).toThrow(InputError);
    expect(() => preprocessBatch([], bitConfig())).toThrow(/empty batch/);
  });

  // Images of one set must end at one size; a config that cannot guarantee it is refused up front.
  it("a shortest-edge resize without crop (sizes would differ per image) → InputError at config time", () => {
    expect(() => createPreprocessConfig({ resize: { mode: "shortest-edge", shortestEdge: 224 } })).toThrow(
      /^invalid preprocessing: a shortest-edge resize without a crop gives every image its own size/,
    );
    expect(() => createPreprocessConfig({ resize: { mode: "none" } })).toThrow(InputError);
  });
});
