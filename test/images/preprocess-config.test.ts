import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import {
  createPreprocessConfig,
  DEFAULT_PREPROCESS_CONFIG,
  IMAGENET_NORMALIZATION,
  resizedSize,
  withInputSize,
} from "../../src/images";

describe("createPreprocessConfig(options)", () => {
  it("with no options → alpha dropped, orientation as stored, exact 224² bicubic, no crop, 1/255, ImageNet, outputSize [224, 224]", () => {
    expect(createPreprocessConfig()).toEqual({
      alpha: "drop",
      orientation: "stored",
      resize: { mode: "exact", height: 224, width: 224 },
      resample: "bicubic",
      crop: null,
      rescaleFactor: 1 / 255,
      normalize: IMAGENET_NORMALIZATION,
      layout: "CHW",
      outputSize: [224, 224],
    });
    expect(createPreprocessConfig()).toEqual(DEFAULT_PREPROCESS_CONFIG);
  });

  it("returns a frozen config whose outputSize is the crop when there is one", () => {
    const config = createPreprocessConfig({ crop: { height: 196, width: 200 } });
    expect(config.outputSize).toEqual([196, 200]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    ["resize height 0", { resize: { mode: "exact", height: 0, width: 2 } }, /invalid resize height: 0/],
    ["crop width 2.5", { crop: { height: 2, width: 2.5 } }, /invalid crop width: 2.5/],
    ["rescale factor -1", { rescaleFactor: -1 }, /invalid rescale factor: -1/],
    ["mean of 2 numbers", { normalize: { mean: [1, 2], std: [1, 1, 1] } }, /invalid mean: \[1,2\]/],
    ['resample "cubic"', { resample: "cubic" }, /invalid resample filter: "cubic"; expected one of nearest/],
    ['alpha "black"', { alpha: "black" }, /^invalid alpha: "black"; expected "drop" or "white"$/],
    [
      'orientation "auto"',
      { orientation: "auto" },
      /^invalid orientation: "auto"; expected "stored" or "exif"$/,
    ],
  ] as const)("%s → InputError quoting it", (_, options, message) => {
    // @ts-expect-error -- the invalid values are the point of the test
    expect(() => createPreprocessConfig(options)).toThrow(InputError);
    // @ts-expect-error -- the invalid values are the point of the test
    expect(() => createPreprocessConfig(options)).toThrow(message);
  });
});

describe("withInputSize(config, size)", () => {
  it("keeps the decoding options", () => {
    const config = createPreprocessConfig({ alpha: "white", orientation: "exif" });
    expect(withInputSize(config, 448)).toMatchObject({ alpha: "white", orientation: "exif" });
  });

  it("exact 256² + crop 224, size 448 → exact 512², crop 448", () => {
    const config = createPreprocessConfig({
      resize: { mode: "exact", height: 256, width: 256 },
      crop: { height: 224, width: 224 },
    });
    const resized = withInputSize(config, 448);
    expect(resized.resize).toEqual({ mode: "exact", height: 512, width: 512 });
    expect(resized.outputSize).toEqual([448, 448]);
  });

  it("no resize + crop 224, size 112 → crop 112 only", () => {
    const config = createPreprocessConfig({ resize: { mode: "none" }, crop: { height: 224, width: 224 } });
    expect(withInputSize(config, 112)).toMatchObject({
      resize: { mode: "none" },
      crop: { height: 112, width: 112 },
    });
  });

  it("shortest edge 256 + crop 224, size 98 → shortest edge round(112) = 112, crop 98", () => {
    const config = createPreprocessConfig({
      resize: { mode: "shortest-edge", shortestEdge: 256 },
      crop: { height: 224, width: 224 },
    });
    expect(withInputSize(config, 98).resize).toEqual({ mode: "shortest-edge", shortestEdge: 112 });
  });

  it("size 0 → InputError", () => {
    expect(() => withInputSize(createPreprocessConfig(), 0)).toThrow(InputError);
  });
});

describe("resizedSize(resize, height, width)", () => {
  const shortest256 = { mode: "shortest-edge", shortestEdge: 256 } as const;

  it("shortest edge 256 on 480×640 → 256×341 (long side truncated, not rounded)", () => {
    expect(resizedSize(shortest256, 480, 640)).toEqual([256, 341]);
  });

  it("shortest edge 256 on 640×480 (portrait) → 341×256", () => {
    expect(resizedSize(shortest256, 640, 480)).toEqual([341, 256]);
  });

  it("shortest edge 40 on 300×451 → 40×60 (int(40·451/300) = int(60.13))", () => {
    expect(resizedSize({ mode: "shortest-edge", shortestEdge: 40 }, 300, 451)).toEqual([40, 60]);
  });

  it("none keeps the size; exact ignores it", () => {
    expect(resizedSize({ mode: "none" }, 5, 7)).toEqual([5, 7]);
    expect(resizedSize({ mode: "exact", height: 3, width: 4 }, 5, 7)).toEqual([3, 4]);
  });
});
