import { InputError } from "../errors";
import { type PreprocessConfig, resizedSize } from "./preprocess-config";
import { resample } from "./resample";
import { createRgbImage, type RgbImage } from "./rgb-image";

// The config type lives in preprocess-config.ts; importers of the pipeline get it here too.
export type { PreprocessConfig } from "./preprocess-config";

/** One preprocessed image: float32, CHW. */
export interface PreprocessedImage {
  data: Float32Array;
  dims: [channels: 3, height: number, width: number];
}

/** A batch of preprocessed images: float32, NCHW, ready as a model's `pixel_values`. */
export interface PreprocessedBatch {
  data: Float32Array;
  dims: [count: number, channels: 3, height: number, width: number];
}

/**
 * Preprocesses one image as transformers' PIL-based processors do: resize with Pillow's filter
 * (shortest edge: the long side truncated as in `get_resize_output_image_size`), centre crop
 * (offsets floor((size − crop) / 2), zero padding where the crop exceeds the image), rescale
 * (float64 product cast to float32) and normalize (float32 arithmetic), output in CHW.
 *
 * An image that already has the final input size `config.outputSize` is neither resized nor
 * cropped; rescale and normalize still apply.
 *
 * @example
 * const { data, dims } = preprocessImage(await decodeImage("cat.png"), config);
 * dims; // [3, 224, 224]
 */
export function preprocessImage(image: RgbImage, config: PreprocessConfig): PreprocessedImage {
  const [height, width] = config.outputSize;
  const data = new Float32Array(3 * height * width);
  preprocessInto(image, config, data, 0);
  return { data, dims: [3, height, width] };
}

/**
 * Preprocesses `images` into one NCHW tensor of `config.outputSize` images.
 *
 * Throws an `InputError` for an empty list.
 *
 * @example
 * const batch = preprocessBatch(images, config);
 * batch.dims; // [images.length, 3, 224, 224]
 */
export function preprocessBatch(images: readonly RgbImage[], config: PreprocessConfig): PreprocessedBatch {
  if (images.length === 0) {
    throw new InputError("cannot preprocess an empty batch: give at least one image");
  }
  const [height, width] = config.outputSize;
  const plane = 3 * height * width;
  const data = new Float32Array(images.length * plane);
  images.forEach((image, i) => {
    preprocessInto(image, config, data, i * plane);
  });
  return { data, dims: [images.length, 3, height, width] };
}

/** The resized image and the offset of the centre crop in it (transformers' center_crop arithmetic). */
function geometry(
  image: RgbImage,
  config: PreprocessConfig,
): { source: RgbImage; top: number; left: number } {
  const [inHeight, inWidth] = image.dims;
  const [height, width] = config.outputSize;
  let source = image;
  if (height !== inHeight || width !== inWidth) {
    const [resizedHeight, resizedWidth] = resizedSize(config.resize, inHeight, inWidth);
    if (resizedHeight !== inHeight || resizedWidth !== inWidth) {
      source = resample(image, { height: resizedHeight, width: resizedWidth, filter: config.resample });
    }
  }
  // top = floor((H - h) / 2); where the crop exceeds the image, zeros.
  const top = Math.floor((source.dims[0] - height) / 2);
  const left = Math.floor((source.dims[1] - width) / 2);
  return { source, top, left };
}

/**
 * The image as the model sees it, before rescale and normalization: resized and centre-cropped,
 * uint8 HWC at the model's input size. Label maps are drawn over this view.
 */
export function modelView(image: RgbImage, config: PreprocessConfig): RgbImage {
  const { source, top, left } = geometry(image, config);
  const [height, width] = config.outputSize;
  const [sourceHeight, sourceWidth] = source.dims;
  const out = createRgbImage(height, width);
  for (let y = 0; y < height; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= sourceHeight) continue;
    for (let x = 0; x < width; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= sourceWidth) continue;
      const from = (sy * sourceWidth + sx) * 3;
      out.data.set(source.data.subarray(from, from + 3), (y * width + x) * 3);
    }
  }
  return out;
}

/** Writes the CHW result for `image` into `out` from `offset` on. */
function preprocessInto(image: RgbImage, config: PreprocessConfig, out: Float32Array, offset: number): void {
  const [height, width] = config.outputSize;
  const { source, top, left } = geometry(image, config);
  const [sourceHeight, sourceWidth] = source.dims;
  const tables = valueTables(config);
  const plane = height * width;
  const src = source.data;
  for (let c = 0; c < 3; c++) {
    const table = tables[c];
    const zero = table[0];
    let o = offset + c * plane;
    for (let y = 0; y < height; y++) {
      const sy = y + top;
      const inside = sy >= 0 && sy < sourceHeight;
      const rowStart = sy * sourceWidth;
      for (let x = 0; x < width; x++) {
        const sx = x + left;
        out[o++] = inside && sx >= 0 && sx < sourceWidth ? table[src[(rowStart + sx) * 3 + c]] : zero;
      }
    }
  }
}

/**
 * Per channel, the float32 result of rescale + normalize for each of the 256 byte values, computed
 * with the same roundings as transformers (rescale in float64 then cast; normalize in float32).
 */
function valueTables(config: PreprocessConfig): [Float32Array, Float32Array, Float32Array] {
  const { rescaleFactor, normalize } = config;
  const tables: [Float32Array, Float32Array, Float32Array] = [
    new Float32Array(256),
    new Float32Array(256),
    new Float32Array(256),
  ];
  tables.forEach((table, c) => {
    const mean = normalize === null ? 0 : Math.fround(normalize.mean[c]);
    const std = normalize === null ? 1 : Math.fround(normalize.std[c]);
    for (let v = 0; v < 256; v++) {
      const scaled = rescaleFactor === null ? v : Math.fround(v * rescaleFactor);
      table[v] = normalize === null ? scaled : Math.fround(scaled - mean) / std;
    }
  });
  return tables;
}
