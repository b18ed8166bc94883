import { FILTER_KERNELS, type FilterKernel, type ResampleFilter } from "./resample-filter";
import { createRgbImage, type RgbImage } from "./rgb-image";

/** Target size and filter of {@link resample}. */
export interface ResampleOptions {
  /** Output height in pixels (a positive integer). */
  height: number;
  /** Output width in pixels (a positive integer). */
  width: number;
  /** The filter, as Pillow names it; Hub configs give its code (see `resampleFilterFromPil`). */
  filter: ResampleFilter;
}

// Pillow's 8-bit path: coefficients in fixed point with 22 fractional bits, sums start at one half
// so that the final shift rounds (src/libImaging/Resample.c, PRECISION_BITS = 32 - 8 - 2).
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
const CHANNELS = 3;

/**
 * Resizes an RGB image the way Pillow's `Image.resize(size, resample)` does for mode "RGB", so that
 * transformers' PIL-based processors and seglens see the same pixels.
 *
 * Convolution filters run separably, horizontal pass first, each pass rounding to 8 bits; the
 * filter support widens by the downscale factor (antialiasing). `nearest` samples pixel centres.
 * An image already of the requested size is copied unchanged, as in Pillow.
 *
 * @example
 * const small = resample(image, { height: 224, width: 224, filter: "bicubic" });
 * small.dims; // [224, 224, 3]
 */
export function resample(image: RgbImage, options: ResampleOptions): RgbImage {
  const { height, width, filter } = options;
  const out = createRgbImage(height, width);
  const [inHeight, inWidth] = image.dims;
  if (inHeight === height && inWidth === width) {
    out.data.set(image.data);
    return out;
  }
  if (filter === "nearest") {
    resampleNearest(image, out);
    return out;
  }
  const kernel = FILTER_KERNELS[filter];
  const vertical = inHeight !== height ? computeCoefficients(inHeight, height, kernel) : null;
  let source = image.data;
  let rowOffset = 0;
  if (inWidth !== width) {
    // Only the rows the vertical pass reads are resampled horizontally, as in Pillow.
    let rows = inHeight;
    if (vertical !== null) {
      rowOffset = vertical.bounds[0];
      rows = vertical.bounds[2 * height - 2] + vertical.bounds[2 * height - 1] - rowOffset;
    }
    source = resampleRows(image.data, inWidth, rowOffset, rows, computeCoefficients(inWidth, width, kernel));
  }
  if (vertical !== null) {
    resampleColumns(source, width, rowOffset, vertical, out.data);
  } else {
    out.data.set(source);
  }
  return out;
}

/** Per output position: the first input index, the tap count, and `size` fixed-point weights. */
interface Coefficients {
  size: number;
  bounds: Int32Array;
  weights: Int32Array;
}

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for a full-image box.
function computeCoefficients(inSize: number, outSize: number, kernel: FilterKernel): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const size = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * size);
  const raw = new Float64Array(size);
  const inverse = 1 / filterScale;
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const first = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - first;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const w = kernel.weight((i + first - center + 0.5) * inverse);
      raw[i] = w;
      total += w;
    }
    for (let i = 0; i < count; i++) {
      const w = total !== 0 ? raw[i] / total : raw[i];
      weights[o * size + i] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[2 * o] = first;
    bounds[2 * o + 1] = count;
  }
  return { size, bounds, weights };
}

// Pillow's clip8: the sum shifted down to 8 bits, clamped to 0..255.
function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : Math.min(v, 255);
}

/** Horizontal pass over `rows` input rows starting at `firstRow`; returns `rows` × outWidth pixels. */
function resampleRows(
  src: Uint8Array,
  inWidth: number,
  firstRow: number,
  rows: number,
  coefficients: Coefficients,
): Uint8Array {
  const { size, bounds, weights } = coefficients;
  const outWidth = bounds.length / 2;
  const out = new Uint8Array(rows * outWidth * CHANNELS);
  let o = 0;
  for (let y = 0; y < rows; y++) {
    const rowStart = (firstRow + y) * inWidth * CHANNELS;
    for (let x = 0; x < outWidth; x++) {
      const count = bounds[2 * x + 1];
      const k = x * size;
      let p = rowStart + bounds[2 * x] * CHANNELS;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let i = 0; i < count; i++, p += CHANNELS) {
        const w = weights[k + i];
        r += src[p] * w;
        g += src[p + 1] * w;
        b += src[p + 2] * w;
      }
      out[o++] = clip8(r);
      out[o++] = clip8(g);
      out[o++] = clip8(b);
    }
  }
  return out;
}

/** Vertical pass; `rowOffset` is the input row that `src` starts at. Writes all of `out`. */
function resampleColumns(
  src: Uint8Array,
  width: number,
  rowOffset: number,
  coefficients: Coefficients,
  out: Uint8Array,
): void {
  const { size, bounds, weights } = coefficients;
  const outHeight = bounds.length / 2;
  const stride = width * CHANNELS;
  for (let y = 0; y < outHeight; y++) {
    const first = (bounds[2 * y] - rowOffset) * stride;
    const count = bounds[2 * y + 1];
    const k = y * size;
    const outStart = y * stride;
    // Every byte of a row has the same taps, so the channel layout does not matter here.
    for (let j = 0; j < stride; j++) {
      let sum = HALF;
      for (let i = 0, p = first + j; i < count; i++, p += stride) {
        sum += src[p] * weights[k + i];
      }
      out[outStart + j] = clip8(sum);
    }
  }
}

// Pillow's nearest path (ImagingScaleAffine): source coordinates start at half a step and advance by
// repeated addition, truncated; a coordinate outside the image leaves the pixel black (fill = 1).
function resampleNearest(image: RgbImage, out: RgbImage): void {
  const [inHeight, inWidth] = image.dims;
  const [height, width] = out.dims;
  const columns = nearestIndices(inWidth, width);
  const rows = nearestIndices(inHeight, height);
  const src = image.data;
  const dst = out.data;
  for (let y = 0; y < height; y++) {
    const sy = rows[y];
    if (sy < 0) continue;
    const rowStart = sy * inWidth * CHANNELS;
    for (let x = 0; x < width; x++) {
      const sx = columns[x];
      if (sx < 0) continue;
      const p = rowStart + sx * CHANNELS;
      const o = (y * width + x) * CHANNELS;
      dst[o] = src[p];
      dst[o + 1] = src[p + 1];
      dst[o + 2] = src[p + 2];
    }
  }
}

function nearestIndices(inSize: number, outSize: number): Int32Array {
  const step = inSize / outSize;
  const indices = new Int32Array(outSize);
  let position = step * 0.5;
  for (let i = 0; i < outSize; i++) {
    const index = position < 0 ? -1 : Math.trunc(position);
    indices[i] = index < inSize ? index : -1;
    position += step;
  }
  return indices;
}
