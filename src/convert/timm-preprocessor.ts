import { UnsupportedModelError } from "../errors";
import { PIL_RESAMPLE_FILTERS } from "../images/resample-filter";

// timm's defaults where a pretrained_cfg leaves a value out (timm.data: resolve_data_config and
// transforms_imagenet_eval).
const DEFAULT_INPUT_SIZE = [3, 224, 224];
const DEFAULT_CROP_PCT = 0.875;
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/**
 * The `preprocessor_config.json` that does what timm's evaluation transform does for a timm Hub
 * repo's `config.json` (its `pretrained_cfg`): timm repos ship no preprocessor config. For crop
 * mode "center" (the default) timm resizes the shortest edge to ⌊size / crop_pct⌋ and crops the
 * centre; for "squash" it resizes both sides by 1 / crop_pct and crops. Both are written as
 * explicit sizes in Bit's form, with timm's interpolation (a Pillow filter, as torchvision uses for
 * images) and mean/std. Returns undefined when the config has no `pretrained_cfg`.
 *
 * One difference remains: torchvision centres an odd crop margin by rounding half to even,
 * transformers (and seglens) by flooring, so for some aspect ratios the crop sits one pixel apart.
 */
export function timmPreprocessor(config: unknown, label: string): Record<string, unknown> | undefined {
  const cfg = isRecord(config) && isRecord(config.pretrained_cfg) ? config.pretrained_cfg : undefined;
  if (cfg === undefined) return undefined;
  const invalid = (key: string, expected: string) =>
    new UnsupportedModelError(
      `${label}: pretrained_cfg.${key} ${JSON.stringify(cfg[key])} in config.json; expected ${expected}`,
    );
  const inputSize = cfg.input_size ?? DEFAULT_INPUT_SIZE;
  if (!Array.isArray(inputSize) || inputSize.length !== 3 || !inputSize.every(isPositiveInteger)) {
    throw invalid("input_size", "[3, height, width]");
  }
  const [, height, width] = inputSize as [number, number, number];
  const cropPct = cfg.crop_pct ?? DEFAULT_CROP_PCT;
  if (typeof cropPct !== "number" || !(cropPct > 0 && cropPct <= 1))
    throw invalid("crop_pct", "0 < crop_pct ≤ 1");
  const filters: readonly unknown[] = PIL_RESAMPLE_FILTERS;
  const resample = filters.indexOf(cfg.interpolation ?? "bicubic");
  if (resample < 0) throw invalid("interpolation", `one of ${PIL_RESAMPLE_FILTERS.join(", ")}`);
  const mode = cfg.crop_mode ?? "center";
  if (mode !== "center" && mode !== "squash") throw invalid("crop_mode", '"center" or "squash"');
  // A non-square centre crop resizes by timm's ResizeKeepRatio, which the Bit form cannot say.
  if (mode === "center" && height !== width)
    throw invalid("input_size", 'a square size with crop_mode "center"');
  const size =
    mode === "squash"
      ? { height: Math.floor(height / cropPct), width: Math.floor(width / cropPct) }
      : { shortest_edge: Math.floor(height / cropPct) };
  return {
    image_processor_type: "BitImageProcessor",
    do_resize: true,
    size,
    resample,
    do_center_crop: true,
    crop_size: { height, width },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: rgb(cfg.mean ?? IMAGENET_MEAN, () => invalid("mean", "3 numbers")),
    image_std: rgb(cfg.std ?? IMAGENET_STD, () => invalid("std", "3 numbers")),
    do_convert_rgb: true,
  };
}

function rgb(value: unknown, error: () => Error): number[] {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === "number"))
    throw error();
  return value as number[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}
