import { InputError } from "../errors";

/** The resampling filters of Pillow's `Image.resize`, by name. */
export type ResampleFilter = "nearest" | "lanczos" | "bilinear" | "bicubic" | "box" | "hamming";

/**
 * Pillow's numeric codes for the filters (`PIL.Image.Resampling`), which Hub
 * `preprocessor_config.json` files use as `resample`: the filter at index i has code i.
 */
export const PIL_RESAMPLE_FILTERS: readonly ResampleFilter[] = Object.freeze([
  "nearest",
  "lanczos",
  "bilinear",
  "bicubic",
  "box",
  "hamming",
]);

/**
 * The filter for Pillow code `code` (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming).
 *
 * Throws an `InputError` quoting the value for anything else.
 *
 * @example
 * resampleFilterFromPil(3); // "bicubic"
 */
export function resampleFilterFromPil(code: unknown): ResampleFilter {
  const filter = typeof code === "number" && Number.isInteger(code) ? PIL_RESAMPLE_FILTERS[code] : undefined;
  if (filter === undefined) {
    const accepted = PIL_RESAMPLE_FILTERS.map((name, i) => `${i} (${name})`).join(", ");
    throw new InputError(`invalid resample: ${JSON.stringify(code)}; expected one of ${accepted}`);
  }
  return filter;
}

/** A separable convolution kernel: weights over `[-support, support]` at scale 1. */
export interface FilterKernel {
  readonly support: number;
  readonly weight: (x: number) => number;
}

// The kernels and supports of Pillow's src/libImaging/Resample.c, written from its definitions.
const box = (x: number): number => (x > -0.5 && x <= 0.5 ? 1 : 0);

const bilinear = (x: number): number => {
  const t = Math.abs(x);
  return t < 1 ? 1 - t : 0;
};

// Pillow writes the Hamming constants as C float literals (0.54f, 0.46f): keep their float32 values.
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);
const hamming = (x: number): number => {
  const t = Math.abs(x);
  if (t === 0) return 1;
  if (t >= 1) return 0;
  const p = t * Math.PI;
  return (Math.sin(p) / p) * (HAMMING_A + HAMMING_B * Math.cos(p));
};

// Keys' cubic convolution with a = -0.5, as in Pillow.
const bicubic = (x: number): number => {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
};

const sinc = (x: number): number => {
  if (x === 0) return 1;
  const p = x * Math.PI;
  return Math.sin(p) / p;
};
const lanczos = (x: number): number => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0);

/** The convolution kernels of every filter but nearest (which Pillow implements as a scaling lookup). */
export const FILTER_KERNELS: Readonly<Record<Exclude<ResampleFilter, "nearest">, FilterKernel>> =
  Object.freeze({
    box: { support: 0.5, weight: box },
    bilinear: { support: 1, weight: bilinear },
    hamming: { support: 1, weight: hamming },
    bicubic: { support: 2, weight: bicubic },
    lanczos: { support: 3, weight: lanczos },
  });
