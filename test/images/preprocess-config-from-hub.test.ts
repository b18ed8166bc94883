import { describe, expect, it } from "vitest";
import { InputError, UnsupportedModelError } from "../../src/errors";
import { preprocessConfigFromHub } from "../../src/images";

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;
const STANDARD = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
const CLIP = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };

// As facebook/dinov2-small ships it.
const DINOV2 = {
  crop_size: { height: 224, width: 224 },
  do_center_crop: true,
  do_convert_rgb: true,
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  image_mean: IMAGENET.mean,
  image_processor_type: "BitImageProcessor",
  image_std: IMAGENET.std,
  resample: 3,
  rescale_factor: 0.00392156862745098,
  size: { shortest_edge: 256 },
};

// The legacy feature-extractor form of openai/clip-vit-base-patch32 and google/vit-base-patch16-224.
const CLIP_LEGACY = {
  crop_size: 224,
  do_center_crop: true,
  do_normalize: true,
  do_resize: true,
  feature_extractor_type: "CLIPFeatureExtractor",
  image_mean: CLIP.mean,
  image_std: CLIP.std,
  resample: 3,
  size: 224,
};
const VIT_LEGACY = {
  do_normalize: true,
  do_resize: true,
  feature_extractor_type: "ViTFeatureExtractor",
  image_mean: STANDARD.mean,
  image_std: STANDARD.std,
  resample: 2,
  size: 224,
};

describe("preprocessConfigFromHub(json)", () => {
  it("DINOv2's BitImageProcessor config → shortest edge 256, bicubic, crop 224, ImageNet", () => {
    expect(preprocessConfigFromHub(DINOV2)).toEqual({
      alpha: "drop",
      orientation: "stored",
      resize: { mode: "shortest-edge", shortestEdge: 256 },
      resample: "bicubic",
      crop: { height: 224, width: 224 },
      rescaleFactor: 0.00392156862745098,
      normalize: IMAGENET,
      layout: "CHW",
      outputSize: [224, 224],
    });
  });

  it("CLIP's legacy int size and crop_size → shortest edge 224 + crop 224, rescale 1/255 by default", () => {
    const config = preprocessConfigFromHub(CLIP_LEGACY);
    expect(config.resize).toEqual({ mode: "shortest-edge", shortestEdge: 224 });
    expect(config.crop).toEqual({ height: 224, width: 224 });
    expect(config.rescaleFactor).toBe(1 / 255);
    expect(config.normalize).toEqual(CLIP);
  });

  it("ViTFeatureExtractor's int size → an exact 224×224 bilinear resize without crop", () => {
    const config = preprocessConfigFromHub(VIT_LEGACY);
    expect(config.resize).toEqual({ mode: "exact", height: 224, width: 224 });
    expect(config.resample).toBe("bilinear");
    expect(config.crop).toBeNull();
    expect(config.outputSize).toEqual([224, 224]);
  });

  it("SigLIP, DINOv3 (Fast) and BEiT with only a type → their class defaults", () => {
    expect(preprocessConfigFromHub({ image_processor_type: "SiglipImageProcessor" })).toMatchObject({
      resize: { mode: "exact", height: 224, width: 224 },
      resample: "bicubic",
      crop: null,
      normalize: STANDARD,
    });
    expect(preprocessConfigFromHub({ image_processor_type: "DINOv3ViTImageProcessorFast" })).toMatchObject({
      resize: { mode: "exact", height: 224, width: 224 },
      resample: "bilinear",
      crop: null,
      normalize: IMAGENET,
    });
    expect(preprocessConfigFromHub({ image_processor_type: "BeitImageProcessor" }).crop).toBeNull();
  });

  it("DeiT's legacy int size 256 is a square (default_to_square) before the 224 crop", () => {
    const config = preprocessConfigFromHub({
      feature_extractor_type: "DeiTFeatureExtractor",
      size: 256,
      crop_size: 224,
    });
    expect(config.resize).toEqual({ mode: "exact", height: 256, width: 256 });
    expect(config.crop).toEqual({ height: 224, width: 224 });
  });

  it("do_resize, do_rescale and do_normalize false → no resize, rescaleFactor null, normalize null", () => {
    const config = preprocessConfigFromHub({
      ...DINOV2,
      do_resize: false,
      do_rescale: false,
      do_normalize: false,
    });
    expect(config.resize).toEqual({ mode: "none" });
    expect(config.crop).toEqual({ height: 224, width: 224 });
    expect(config.rescaleFactor).toBeNull();
    expect(config.normalize).toBeNull();
  });

  it("crop_pct 0.875 with shortest edge 224 → shortest edge int(224 / 0.875) = 256, crop 224", () => {
    const config = preprocessConfigFromHub({ ...VIT_LEGACY, size: { shortest_edge: 224 }, crop_pct: 0.875 });
    expect(config.resize).toEqual({ mode: "shortest-edge", shortestEdge: 256 });
    expect(config.crop).toEqual({ height: 224, width: 224 });
  });

  it("crop_pct 0.9 with size 224×224 → exact int(224 / 0.9) = 248 square, crop 224", () => {
    const config = preprocessConfigFromHub({ ...VIT_LEGACY, crop_pct: 0.9 });
    expect(config.resize).toEqual({ mode: "exact", height: 248, width: 248 });
    expect(config.crop).toEqual({ height: 224, width: 224 });
  });

  it("a single number as image_mean/image_std applies to all three channels", () => {
    expect(preprocessConfigFromHub({ ...VIT_LEGACY, image_mean: 0.5, image_std: 0.25 }).normalize).toEqual({
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
    });
  });
});

describe("preprocessConfigFromHub(json, overrides)", () => {
  it("size 448 on DINOv2 (256 → crop 224) keeps the ratio: shortest edge 512, crop 448", () => {
    const config = preprocessConfigFromHub(DINOV2, { size: 448 });
    expect(config.resize).toEqual({ mode: "shortest-edge", shortestEdge: 512 });
    expect(config.crop).toEqual({ height: 448, width: 448 });
    expect(config.outputSize).toEqual([448, 448]);
  });

  it("size 384 on DeiT (256² → crop 224) → exact round(384·256/224) = 439 square, crop 384", () => {
    const config = preprocessConfigFromHub({ image_processor_type: "DeiTImageProcessor" }, { size: 384 });
    expect(config.resize).toEqual({ mode: "exact", height: 439, width: 439 });
    expect(config.crop).toEqual({ height: 384, width: 384 });
  });

  it("size 336 on ViT's exact resize → exact 336×336, no crop", () => {
    const config = preprocessConfigFromHub(VIT_LEGACY, { size: 336 });
    expect(config.resize).toEqual({ mode: "exact", height: 336, width: 336 });
    expect(config.crop).toBeNull();
    expect(config.outputSize).toEqual([336, 336]);
  });

  it("mean, std and resample overrides replace the config's (DINO v1's ImageNet correction)", () => {
    const config = preprocessConfigFromHub(VIT_LEGACY, { ...IMAGENET, resample: "bicubic" });
    expect(config.normalize).toEqual(IMAGENET);
    expect(config.resample).toBe("bicubic");
  });

  it("alpha and orientation overrides survive a size override", () => {
    const config = preprocessConfigFromHub(DINOV2, { alpha: "white", orientation: "exif", size: 448 });
    expect(config).toMatchObject({ alpha: "white", orientation: "exif", outputSize: [448, 448] });
  });

  it("size 37.5 → InputError quoting it", () => {
    expect(() => preprocessConfigFromHub(DINOV2, { size: 37.5 })).toThrow(InputError);
    expect(() => preprocessConfigFromHub(DINOV2, { size: 37.5 })).toThrow(
      /invalid size: 37.5; expected a positive integer/,
    );
  });

  it("a shortest-edge config without crop is refused, unless a size override makes it exact", () => {
    const noCrop = { ...DINOV2, do_center_crop: false };
    expect(() => preprocessConfigFromHub(noCrop)).toThrow(UnsupportedModelError);
    expect(() => preprocessConfigFromHub(noCrop)).toThrow(
      /without a centre crop gives every image its own size/,
    );
    expect(preprocessConfigFromHub(noCrop, { size: 224 }).resize).toEqual({
      mode: "exact",
      height: 224,
      width: 224,
    });
  });
});

describe("preprocessConfigFromHub(bad json)", () => {
  it.each([
    ["an array", []],
    ["null", null],
    ["a string", "ViTImageProcessor"],
  ])("%s → InputError 'expected a JSON object'", (_, json) => {
    expect(() => preprocessConfigFromHub(json)).toThrow(InputError);
    expect(() => preprocessConfigFromHub(json)).toThrow(/expected a JSON object/);
  });

  it("no processor type → InputError listing the supported processors", () => {
    expect(() => preprocessConfigFromHub({ size: 224 })).toThrow(InputError);
    expect(() => preprocessConfigFromHub({ size: 224 })).toThrow(
      /no "image_processor_type".*ViTImageProcessor/,
    );
  });

  it('"ConvNextImageProcessor" → UnsupportedModelError quoting it and listing the supported', () => {
    const json = { image_processor_type: "ConvNextImageProcessor" };
    expect(() => preprocessConfigFromHub(json)).toThrow(UnsupportedModelError);
    expect(() => preprocessConfigFromHub(json)).toThrow(
      /unsupported image processor "ConvNextImageProcessor".*supported: ViTImageProcessor, BitImageProcessor/,
    );
  });

  it("size {shortest_edge, longest_edge} → UnsupportedModelError naming longest_edge", () => {
    const json = { ...DINOV2, size: { shortest_edge: 800, longest_edge: 1333 } };
    expect(() => preprocessConfigFromHub(json)).toThrow(UnsupportedModelError);
    expect(() => preprocessConfigFromHub(json)).toThrow(/unsupported size .* not "longest_edge"/);
  });

  it.each([
    ["resample 9", { resample: 9 }, /invalid resample: 9/],
    [
      "a two-element image_mean",
      { image_mean: [0.5, 0.5] },
      /invalid image_mean .*\[0.5,0.5\]; expected 3 numbers/,
    ],
    ['do_resize "yes"', { do_resize: "yes" }, /invalid do_resize .*"yes"; expected true or false/],
    ["size 0", { size: 0 }, /invalid size .*: 0; expected a positive integer/],
    ["crop_pct 1.5", { crop_pct: 1.5 }, /invalid crop_pct .*: 1.5/],
    [
      "a zero image_std",
      { image_std: [0.2, 0, 0.2] },
      /invalid std: \[0.2,0,0.2\]; expected 3 non-zero numbers/,
    ],
  ])("%s → InputError quoting the value", (_, patch, message) => {
    const json = { ...DINOV2, ...patch };
    expect(() => preprocessConfigFromHub(json)).toThrow(InputError);
    expect(() => preprocessConfigFromHub(json)).toThrow(message);
  });
});
