import { InputError } from "../errors";
import {
  type AlphaMode,
  checkAlphaMode,
  checkOrientation,
  DEFAULT_DECODE_OPTIONS,
  type Orientation,
} from "./decode-options";
import { PIL_RESAMPLE_FILTERS, type ResampleFilter } from "./resample-filter";

/** One number per channel, in R, G, B order. */
export type Rgb = readonly [r: number, g: number, b: number];

/**
 * How an image is resized before the crop: not at all, to an exact size (the aspect ratio may
 * change), or so that its shorter side becomes `shortestEdge` pixels.
 */
export type ResizeSpec =
  | { readonly mode: "none" }
  | { readonly mode: "exact"; readonly height: number; readonly width: number }
  | { readonly mode: "shortest-edge"; readonly shortestEdge: number };

/** A centre crop's size in pixels. */
export interface CropSize {
  readonly height: number;
  readonly width: number;
}

/** Per-channel normalization `(x - mean) / std`, applied after the rescale. */
export interface Normalization {
  readonly mean: Rgb;
  readonly std: Rgb;
}

/**
 * A model's image preprocessing: how files are decoded, then resize, centre crop, rescale,
 * normalize, in that order, with the output in CHW layout. Every image ends at `outputSize`, so
 * one patch grid serves a whole image set. Make one with
 * {@link createPreprocessConfig} or `preprocessConfigFromHub`. It is plain JSON, fit for
 * provenance records and cache keys: changing any field, the decoding options included, changes
 * which features it makes.
 */
export interface PreprocessConfig {
  /** Transparency on decoding: dropped (transformers' way) or composited on white. */
  readonly alpha: AlphaMode;
  /** Orientation on decoding: as stored (transformers' processors) or turned by the EXIF tag. */
  readonly orientation: Orientation;
  readonly resize: ResizeSpec;
  /** The resize filter (Pillow's). */
  readonly resample: ResampleFilter;
  /** The centre crop after the resize; `null` for none. */
  readonly crop: CropSize | null;
  /** The factor uint8 values are multiplied by (usually 1/255); `null` to keep 0..255. */
  readonly rescaleFactor: number | null;
  /** `null` to skip normalization. */
  readonly normalize: Normalization | null;
  /** The layout of the preprocessed tensor: channels, then rows, then columns. */
  readonly layout: "CHW";
  /**
   * The model input size every image ends at: the crop, else the exact resize. Derived by
   * {@link createPreprocessConfig}; a config that would give images different sizes is rejected.
   */
  readonly outputSize: readonly [height: number, width: number];
}

/** The ImageNet statistics most vision models normalize with (transformers' IMAGENET_DEFAULT_*). */
export const IMAGENET_NORMALIZATION: Normalization = Object.freeze({
  mean: Object.freeze([0.485, 0.456, 0.406] as const),
  std: Object.freeze([0.229, 0.224, 0.225] as const),
});

/**
 * The defaults of {@link createPreprocessConfig}: files decoded as transformers' processors see
 * them (alpha dropped, orientation as stored), an exact 224 × 224 bicubic resize, no crop, rescale
 * by 1/255 and ImageNet normalization.
 */
export const DEFAULT_PREPROCESS_CONFIG: PreprocessConfig = Object.freeze({
  ...DEFAULT_DECODE_OPTIONS,
  resize: Object.freeze({ mode: "exact", height: 224, width: 224 } as const),
  resample: "bicubic",
  crop: null,
  rescaleFactor: 1 / 255,
  normalize: IMAGENET_NORMALIZATION,
  layout: "CHW",
  outputSize: Object.freeze([224, 224] as const),
});

/** The settable fields of a {@link PreprocessConfig}. */
export type PreprocessConfigOptions = Partial<Omit<PreprocessConfig, "layout" | "outputSize">>;

/**
 * Makes a validated, frozen preprocessing config from `options` over
 * {@link DEFAULT_PREPROCESS_CONFIG}; for models that come without a `preprocessor_config.json`.
 *
 * Throws an `InputError` quoting the first invalid value, or for a config without crop whose
 * resize is not exact (images would end at different sizes).
 *
 * @example
 * const config = createPreprocessConfig({
 *   resize: { mode: "exact", height: 448, width: 448 },
 *   normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
 * });
 */
export function createPreprocessConfig(options: PreprocessConfigOptions = {}): PreprocessConfig {
  const config = { ...DEFAULT_PREPROCESS_CONFIG, ...options };
  const resize = checkResize(config.resize);
  const crop = config.crop === null ? null : checkCrop(config.crop);
  return Object.freeze({
    alpha: checkAlphaMode(config.alpha),
    orientation: checkOrientation(config.orientation),
    resize,
    resample: checkResample(config.resample),
    crop,
    rescaleFactor: config.rescaleFactor === null ? null : checkRescale(config.rescaleFactor),
    normalize: config.normalize === null ? null : checkNormalization(config.normalize),
    layout: "CHW",
    outputSize: Object.freeze(outputSizeOf(resize, crop)),
  });
}

function outputSizeOf(resize: ResizeSpec, crop: CropSize | null): [height: number, width: number] {
  if (crop !== null) return [crop.height, crop.width];
  if (resize.mode === "exact") return [resize.height, resize.width];
  throw new InputError(
    `invalid preprocessing: a ${resize.mode === "none" ? "missing" : "shortest-edge"} resize without ` +
      "a crop gives every image its own size; add a crop or use an exact resize",
  );
}

/**
 * Changes the input resolution of `config` to `size` × `size` (the caller rounds `size` to the
 * patch size). A pipeline that resizes and then crops keeps its ratio: the resize becomes
 * round(size · resize / crop) per side (JavaScript's Math.round) and the crop `size` × `size`; a
 * pipeline without crop resizes to exactly `size` × `size`.
 *
 * Throws an `InputError` for a `size` that is not a positive integer.
 *
 * @example
 * // DINOv2: shortest edge 256, crop 224 → shortest edge 512, crop 448
 * withInputSize(dinov2, 448);
 */
export function withInputSize(config: PreprocessConfig, size: number): PreprocessConfig {
  checkPositiveInteger("size", size);
  const { resize, crop } = config;
  if (crop === null) {
    return createPreprocessConfig({ ...config, resize: { mode: "exact", height: size, width: size } });
  }
  const scaled = (length: number, cropLength: number): number =>
    Math.max(1, Math.round((size * length) / cropLength));
  let scaledResize: ResizeSpec = resize;
  if (resize.mode === "exact") {
    scaledResize = {
      mode: "exact",
      height: scaled(resize.height, crop.height),
      width: scaled(resize.width, crop.width),
    };
  } else if (resize.mode === "shortest-edge") {
    scaledResize = {
      mode: "shortest-edge",
      shortestEdge: scaled(resize.shortestEdge, Math.min(crop.height, crop.width)),
    };
  }
  return createPreprocessConfig({ ...config, resize: scaledResize, crop: { height: size, width: size } });
}

/**
 * The size an image of `height` × `width` has after the resize step of `resize`, computed as
 * transformers does (`get_resize_output_image_size`: the long side of a shortest-edge resize is
 * truncated, not rounded).
 */
export function resizedSize(
  resize: ResizeSpec,
  height: number,
  width: number,
): [height: number, width: number] {
  switch (resize.mode) {
    case "none":
      return [height, width];
    case "exact":
      return [resize.height, resize.width];
    case "shortest-edge": {
      const short = Math.min(height, width);
      const long = Math.max(height, width);
      const newLong = Math.trunc((resize.shortestEdge * long) / short);
      return width <= height ? [newLong, resize.shortestEdge] : [resize.shortestEdge, newLong];
    }
  }
}

function checkPositiveInteger(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new InputError(`invalid ${name}: ${JSON.stringify(value)}; expected a positive integer`);
  }
  return value;
}

function checkResize(resize: ResizeSpec): ResizeSpec {
  switch (resize.mode) {
    case "none":
      return Object.freeze({ mode: "none" });
    case "exact":
      return Object.freeze({
        mode: "exact",
        height: checkPositiveInteger("resize height", resize.height),
        width: checkPositiveInteger("resize width", resize.width),
      });
    case "shortest-edge":
      return Object.freeze({
        mode: "shortest-edge",
        shortestEdge: checkPositiveInteger("resize shortest edge", resize.shortestEdge),
      });
    default:
      throw new InputError(
        `invalid resize mode: ${JSON.stringify((resize as { mode: unknown }).mode)}; ` +
          'expected "none", "exact" or "shortest-edge"',
      );
  }
}

function checkResample(filter: ResampleFilter): ResampleFilter {
  if (!PIL_RESAMPLE_FILTERS.includes(filter)) {
    throw new InputError(
      `invalid resample filter: ${JSON.stringify(filter)}; expected one of ${PIL_RESAMPLE_FILTERS.join(", ")}`,
    );
  }
  return filter;
}

function checkCrop(crop: CropSize): CropSize {
  return Object.freeze({
    height: checkPositiveInteger("crop height", crop.height),
    width: checkPositiveInteger("crop width", crop.width),
  });
}

function checkRescale(factor: number): number {
  if (typeof factor !== "number" || !Number.isFinite(factor) || factor <= 0) {
    throw new InputError(`invalid rescale factor: ${JSON.stringify(factor)}; expected a positive number`);
  }
  return factor;
}

function checkRgb(name: string, value: Rgb, nonZero: boolean): Rgb {
  const ok =
    Array.isArray(value) &&
    value.length === 3 &&
    value.every((v) => typeof v === "number" && Number.isFinite(v) && (!nonZero || v !== 0));
  if (!ok) {
    const kind = nonZero ? "non-zero numbers" : "numbers";
    throw new InputError(`invalid ${name}: ${JSON.stringify(value)}; expected 3 ${kind} (R, G, B)`);
  }
  return Object.freeze([value[0], value[1], value[2]] as const);
}

function checkNormalization(normalize: Normalization): Normalization {
  return Object.freeze({
    mean: checkRgb("mean", normalize.mean, false),
    std: checkRgb("std", normalize.std, true),
  });
}
