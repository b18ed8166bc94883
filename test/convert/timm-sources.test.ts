import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Checkpoint } from "../../src/checkpoints/checkpoint";
import { openCheckpoint } from "../../src/checkpoints/open-checkpoint";
import { sourceArchitecture } from "../../src/convert/source-architecture";
import { timmPreprocessor } from "../../src/convert/timm-preprocessor";
import { UnsupportedModelError } from "../../src/errors";

const PE = "models/fixtures/sources/pe-core";
const peConfig = JSON.parse(readFileSync(join(PE, "config.json"), "utf8")) as Record<string, unknown>;
let checkpoint: Checkpoint;
beforeAll(async () => {
  checkpoint = await openCheckpoint(join(PE, "model.safetensors"));
});
afterAll(() => checkpoint.close());

describe("sourceArchitecture(timm layout, config.json naming a Perception Encoder Core architecture)", () => {
  it("the fixture: RoPE from the architecture's settings, heads from model_args, epsilon 1e-5, norm before the blocks", () => {
    const { spec } = sourceArchitecture("timm", checkpoint, peConfig, {}, "pe");
    expect(spec).toMatchObject({
      depth: 2,
      hiddenSize: 32,
      heads: 4,
      mlpSize: 64,
      patchSize: 8,
      cls: true,
      registers: 0,
      positionTable: { coversCls: true },
      preNorm: true,
      finalNorm: true,
      normEps: 1e-5,
      layerScale: false,
      rope: { kind: "timm-cat", theta: 10000, gridOffset: 1, referenceGrid: [14, 14], indexing: "xy" },
    });
  });

  it("a config without model_args (as timm's Hub repos have): heads and reference grid of the named architecture", () => {
    const config = { architecture: "vit_pe_core_large_patch14_336" };
    const { spec } = sourceArchitecture("timm", checkpoint, config, {}, "pe");
    expect(spec.heads).toBe(16);
    expect(spec.rope).toEqual({
      kind: "timm-cat",
      theta: 10000,
      gridOffset: 1,
      referenceGrid: [24, 24],
      indexing: "xy",
    });
  });

  it.each([
    [
      { architecture: "vit_pe_core_huge_patch14_448" },
      /unknown Perception Encoder architecture "vit_pe_core_huge_patch14_448"; seglens converts vit_pe_core_tiny/,
    ],
    [
      { architecture: "vit_pe_core_base_patch16_224", model_args: { rope_rotate_half: true } },
      /model_args "rope_rotate_half" change "vit_pe_core_base_patch16_224" in ways seglens does not convert/,
    ],
    [
      { architecture: "vit_pe_core_base_patch16_224", model_args: { ref_feat_shape: [14] } },
      /invalid model_args\.ref_feat_shape \[14\] in config\.json; expected a positive integer or \[rows, columns\]/,
    ],
    [
      { architecture: "eva02_base_patch14_224" },
      /timm architecture "eva02_base_patch14_224" uses rotary position embeddings, which seglens converts only for Perception Encoder Core/,
    ],
    [
      { architecture: "vit_pe_spatial_base_patch16_512" },
      /"vit_pe_spatial_base_patch16_512" uses rotary position embeddings/,
    ],
  ])("%j: an UnsupportedModelError", (config, message) => {
    const error = (() => {
      try {
        sourceArchitecture("timm", checkpoint, config, {}, "pe");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnsupportedModelError);
    expect((error as Error).message).toMatch(message);
  });
});

describe("timmPreprocessor(config.json) as timm's evaluation transform", () => {
  const cfg = (pretrained_cfg: Record<string, unknown>) => ({ architecture: "x", pretrained_cfg });
  const common = { do_resize: true, do_center_crop: true, do_rescale: true, do_normalize: true };

  it("PE Core L/14: shortest edge 336 (crop_pct 1), centre crop 336, bicubic, mean/std 0.5", () => {
    const json = timmPreprocessor(
      cfg({
        input_size: [3, 336, 336],
        interpolation: "bicubic",
        crop_pct: 1.0,
        crop_mode: "center",
        mean: [0.5, 0.5, 0.5],
        std: [0.5, 0.5, 0.5],
      }),
      "pe",
    );
    expect(json).toMatchObject({
      ...common,
      image_processor_type: "BitImageProcessor",
      size: { shortest_edge: 336 },
      crop_size: { height: 336, width: 336 },
      resample: 3,
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
    });
  });

  it("timm's defaults for what the config leaves out: 224 px, crop_pct 0.875 (shortest edge 256), bicubic, ImageNet mean/std", () => {
    expect(timmPreprocessor(cfg({}), "m")).toMatchObject({
      size: { shortest_edge: 256 },
      crop_size: { height: 224, width: 224 },
      resample: 3,
      image_mean: [0.485, 0.456, 0.406],
      image_std: [0.229, 0.224, 0.225],
    });
  });

  it('crop_mode "squash": both sides ⌊size / crop_pct⌋, then the crop; bilinear is Pillow filter 2', () => {
    const json = timmPreprocessor(
      cfg({ input_size: [3, 384, 320], crop_pct: 0.95, crop_mode: "squash", interpolation: "bilinear" }),
      "m",
    );
    expect(json).toMatchObject({
      size: { height: 404, width: 336 },
      crop_size: { height: 384, width: 320 },
      resample: 2,
    });
  });

  it("no pretrained_cfg: undefined (the converter then asks the catalog for a preprocessor)", () => {
    expect(timmPreprocessor({ architecture: "x" }, "m")).toBeUndefined();
    expect(timmPreprocessor(undefined, "m")).toBeUndefined();
  });

  it.each([
    [
      { crop_mode: "border" },
      /pretrained_cfg\.crop_mode "border" in config\.json; expected "center" or "squash"/,
    ],
    [
      { input_size: [3, 224, 256] },
      /pretrained_cfg\.input_size \[3,224,256\] in config\.json; expected a square size with crop_mode "center"/,
    ],
    [
      { interpolation: "random" },
      /pretrained_cfg\.interpolation "random" .* expected one of nearest, lanczos/,
    ],
    [{ crop_pct: 1.5 }, /pretrained_cfg\.crop_pct 1\.5 .* expected 0 < crop_pct ≤ 1/],
  ])("%j: an UnsupportedModelError naming the value", (pretrained, message) => {
    expect(() => timmPreprocessor(cfg(pretrained), "m")).toThrow(UnsupportedModelError);
    expect(() => timmPreprocessor(cfg(pretrained), "m")).toThrow(message);
  });
});
