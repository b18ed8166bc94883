import { InputError, UnsupportedModelError } from "../errors";
import type { AlphaMode, Orientation } from "./decode-options";
import {
  type CropSize,
  createPreprocessConfig,
  type Normalization,
  type PreprocessConfig,
  type ResizeSpec,
  type Rgb,
  withInputSize,
} from "./preprocess-config";
import { type ResampleFilter, resampleFilterFromPil } from "./resample-filter";

/** Values that replace what a Hub config says (catalog corrections, command-line flags). */
export interface PreprocessOverrides {
  /** Input resolution S (already a multiple of the patch size); see `withInputSize`. */
  size?: number;
  mean?: Rgb;
  std?: Rgb;
  resample?: ResampleFilter;
  /** How decoding treats transparency; default `"drop"` (see `decodeImage`). */
  alpha?: AlphaMode;
  /** Whether decoding applies the EXIF orientation; default `"stored"` (see `decodeImage`). */
  orientation?: Orientation;
}

/** A processor family's class defaults, for the keys a config leaves out. */
interface ProcessorDefaults {
  readonly resample: ResampleFilter;
  readonly normalize: Normalization;
  readonly size: HubSize;
  readonly crop: CropSize | null;
  readonly doCenterCrop: boolean;
  /** How transformers' get_size_dict reads an integer `size`: square, or shortest edge. */
  readonly defaultToSquare: boolean;
}

type HubSize = { height: number; width: number } | { shortestEdge: number };

const STANDARD: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
const IMAGENET: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const OPENAI_CLIP: Normalization = {
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
};
const SQUARE_224 = { height: 224, width: 224 };

// Class attributes of the processors in transformers 5 (models/*/image_processing_pil_*.py),
// keyed by the lower-cased class name without "ImageProcessor[Fast|Pil]" / "FeatureExtractor".
// ViTMAE, I-JEPA and DINO v1 ship ViTImageProcessor; DINOv2 ships BitImageProcessor.
const PROCESSORS: Readonly<Record<string, ProcessorDefaults>> = Object.freeze({
  vit: {
    resample: "bilinear",
    normalize: STANDARD,
    size: SQUARE_224,
    crop: null,
    doCenterCrop: false,
    defaultToSquare: true,
  },
  bit: {
    resample: "bicubic",
    normalize: OPENAI_CLIP,
    size: { shortestEdge: 224 },
    crop: SQUARE_224,
    doCenterCrop: true,
    defaultToSquare: false,
  },
  clip: {
    resample: "bicubic",
    normalize: OPENAI_CLIP,
    size: { shortestEdge: 224 },
    crop: SQUARE_224,
    doCenterCrop: true,
    defaultToSquare: false,
  },
  siglip: {
    resample: "bicubic",
    normalize: STANDARD,
    size: SQUARE_224,
    crop: null,
    doCenterCrop: false,
    defaultToSquare: false,
  },
  dinov3vit: {
    resample: "bilinear",
    normalize: IMAGENET,
    size: SQUARE_224,
    crop: null,
    doCenterCrop: false,
    defaultToSquare: true,
  },
  deit: {
    resample: "bicubic",
    normalize: STANDARD,
    size: { height: 256, width: 256 },
    crop: SQUARE_224,
    doCenterCrop: true,
    defaultToSquare: true,
  },
  beit: {
    resample: "bicubic",
    normalize: STANDARD,
    size: SQUARE_224,
    crop: SQUARE_224,
    doCenterCrop: false,
    defaultToSquare: true,
  },
});

const SUPPORTED = [
  "ViTImageProcessor",
  "BitImageProcessor",
  "CLIPImageProcessor",
  "SiglipImageProcessor",
  "DINOv3ViTImageProcessorFast",
  "DeiTImageProcessor",
  "BeitImageProcessor",
];

/**
 * Reads a Hub `preprocessor_config.json` (parsed JSON) into a {@link PreprocessConfig}, as the
 * transformers processor it names would preprocess: ViT (also ViTMAE, I-JEPA, DINO), Bit (DINOv2),
 * CLIP, SigLIP, DINOv3, DeiT and BEiT, in their current and legacy (`feature_extractor_type`,
 * integer `size`) forms. Keys left out take the processor's class defaults; `do_resize`,
 * `do_center_crop`, `do_rescale`, `do_normalize` and `crop_pct` are honoured.
 *
 * `crop_pct` p with a size S works as in ConvNeXt's processor: resize to S / p (truncated), then
 * crop S. Resizing always uses Pillow's filters, also for "Fast" processors, whose torchvision
 * resize differs from Pillow's by a few levels.
 *
 * Throws an `UnsupportedModelError` for a processor type not listed above or a size rule seglens
 * does not implement (`longest_edge`, `max_height`), and an `InputError` for malformed values.
 *
 * @example
 * const json: unknown = JSON.parse(readFileSync("preprocessor_config.json", "utf8"));
 * const config = preprocessConfigFromHub(json, { size: 448 });
 */
export function preprocessConfigFromHub(
  json: unknown,
  overrides: PreprocessOverrides = {},
): PreprocessConfig {
  if (!isRecord(json)) {
    throw new InputError(`invalid preprocessor_config.json: expected a JSON object, got ${describe(json)}`);
  }
  const defaults = processorDefaults(json);
  const { resize, crop } = readGeometry(json, defaults, overrides.size);
  const rescaleFactor = readBoolean(json, "do_rescale", true)
    ? readNumber(json, "rescale_factor", 1 / 255)
    : null;
  const normalize = readBoolean(json, "do_normalize", true)
    ? {
        mean: overrides.mean ?? readRgb(json, "image_mean", defaults.normalize.mean),
        std: overrides.std ?? readRgb(json, "image_std", defaults.normalize.std),
      }
    : null;
  const resample =
    overrides.resample ?? (json.resample == null ? defaults.resample : resampleFilterFromPil(json.resample));
  const config = createPreprocessConfig({
    ...(overrides.alpha === undefined ? {} : { alpha: overrides.alpha }),
    ...(overrides.orientation === undefined ? {} : { orientation: overrides.orientation }),
    resize,
    resample,
    crop,
    rescaleFactor,
    normalize,
  });
  return overrides.size === undefined ? config : withInputSize(config, overrides.size);
}

/** The resize and crop steps from `do_resize`, `size`, `do_center_crop`, `crop_size`, `crop_pct`. */
function readGeometry(
  json: Record<string, unknown>,
  defaults: ProcessorDefaults,
  sizeOverride: number | undefined,
): { resize: ResizeSpec; crop: CropSize | null } {
  const doResize = readBoolean(json, "do_resize", true);
  const doCenterCrop = readBoolean(json, "do_center_crop", defaults.doCenterCrop);
  const size = readSize(json, "size", defaults.defaultToSquare) ?? defaults.size;
  const cropPct = readCropPct(json);
  const cropSize = doCenterCrop ? (readSize(json, "crop_size", true) ?? defaults.crop) : null;
  if (cropSize !== null && !("height" in cropSize)) {
    throw new UnsupportedModelError(
      `unsupported crop_size in preprocessor_config.json: ${describe(json.crop_size)}; expected {"height", "width"}`,
    );
  }
  let resize: ResizeSpec = { mode: "none" };
  let crop: CropSize | null = cropSize;
  if (doResize && cropPct !== null) {
    // ConvNeXt's rule: resize by 1 / crop_pct, crop back to the configured size.
    if ("shortestEdge" in size) {
      resize = { mode: "shortest-edge", shortestEdge: Math.trunc(size.shortestEdge / cropPct) };
      crop = { height: size.shortestEdge, width: size.shortestEdge };
    } else {
      const height = Math.trunc(size.height / cropPct);
      resize = { mode: "exact", height, width: Math.trunc(size.width / cropPct) };
      crop = { height: size.height, width: size.width };
    }
  } else if (doResize) {
    resize =
      "shortestEdge" in size
        ? { mode: "shortest-edge", shortestEdge: size.shortestEdge }
        : { mode: "exact", ...size };
  }
  if (crop === null && resize.mode !== "exact") {
    if (sizeOverride !== undefined) {
      return { resize: { mode: "exact", height: sizeOverride, width: sizeOverride }, crop };
    }
    throw new UnsupportedModelError(
      `unsupported preprocessor_config.json: ${doResize ? "a shortest-edge resize" : "no resize"} ` +
        `(size ${describe(json.size)}) without a centre crop gives every image its own size, but ` +
        "seglens needs one input size per image set; pass a size override to resize to a square",
    );
  }
  return { resize, crop };
}

function processorDefaults(json: Record<string, unknown>): ProcessorDefaults {
  const type = json.image_processor_type ?? json.feature_extractor_type;
  if (typeof type !== "string") {
    throw new InputError(
      `invalid preprocessor_config.json: no "image_processor_type" or "feature_extractor_type" string ` +
        `(got ${describe(type)}); expected one of ${SUPPORTED.join(", ")}`,
    );
  }
  const family = type
    .replace(/(Fast|Pil)$/, "")
    .replace(/(ImageProcessor|FeatureExtractor)$/, "")
    .toLowerCase();
  const defaults = PROCESSORS[family];
  if (defaults === undefined) {
    throw new UnsupportedModelError(
      `unsupported image processor "${type}" in preprocessor_config.json; ` +
        `supported: ${SUPPORTED.join(", ")} (and their Fast variants and FeatureExtractor names)`,
    );
  }
  return defaults;
}

// transformers' get_size_dict: an int is a square or a shortest edge depending on the processor,
// a pair is (height, width), a dict names its keys.
function readSize(json: Record<string, unknown>, key: string, defaultToSquare: boolean): HubSize | null {
  const value = json[key];
  if (value === undefined || value === null) return null;
  if (isPositiveInteger(value)) {
    return defaultToSquare ? { height: value, width: value } : { shortestEdge: value };
  }
  if (Array.isArray(value) && value.length === 2 && value.every(isPositiveInteger)) {
    return { height: value[0], width: value[1] };
  }
  if (isRecord(value)) {
    const known = ["height", "width", "shortest_edge"];
    const extra = Object.keys(value).filter((k) => !known.includes(k) && value[k] !== null);
    if (extra.length > 0) {
      throw new UnsupportedModelError(
        `unsupported ${key} in preprocessor_config.json: ${describe(value)}; seglens handles ` +
          `{"height", "width"} and {"shortest_edge"}, not ${extra.map((k) => `"${k}"`).join(", ")}`,
      );
    }
    if (isPositiveInteger(value.height) && isPositiveInteger(value.width) && value.shortest_edge == null) {
      return { height: value.height, width: value.width };
    }
    if (isPositiveInteger(value.shortest_edge) && value.height == null && value.width == null) {
      return { shortestEdge: value.shortest_edge };
    }
  }
  throw new InputError(
    `invalid ${key} in preprocessor_config.json: ${describe(value)}; expected a positive integer, ` +
      `[height, width], {"height", "width"} or {"shortest_edge"}`,
  );
}

function readCropPct(json: Record<string, unknown>): number | null {
  const value = json.crop_pct;
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !(value > 0 && value <= 1)) {
    throw new InputError(
      `invalid crop_pct in preprocessor_config.json: ${describe(value)}; expected 0 < crop_pct ≤ 1`,
    );
  }
  return value;
}

function readBoolean(json: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") {
    throw new InputError(
      `invalid ${key} in preprocessor_config.json: ${describe(value)}; expected true or false`,
    );
  }
  return value;
}

function readNumber(json: Record<string, unknown>, key: string, fallback: number): number {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InputError(`invalid ${key} in preprocessor_config.json: ${describe(value)}; expected a number`);
  }
  return value;
}

// transformers accepts a single number for all channels or one per channel.
function readRgb(json: Record<string, unknown>, key: string, fallback: Rgb): Rgb {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value === "number" && Number.isFinite(value)) return [value, value, value];
  if (
    Array.isArray(value) &&
    value.length === 3 &&
    value.every((v) => typeof v === "number" && Number.isFinite(v))
  ) {
    return [value[0], value[1], value[2]];
  }
  throw new InputError(`invalid ${key} in preprocessor_config.json: ${describe(value)}; expected 3 numbers`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
