import { InputError, OptionRangeError, OptionTypeError } from "../errors";
import type { RowFile } from "../util/row-file";
import { DEFAULT_K, K_RANGE, type KMeansNormalize } from "../vocabulary";

/** Options of {@link kmeans}; every field is optional, defaults in {@link KMEANS_DEFAULTS}. */
export interface KMeansOptions {
  /** Number of clusters, an integer in 2..32. Default 6. */
  k?: number;
  /** Seed of the pseudo-random generator (k-means++ draws, samples): an integer in 0..2³²−1. Default 0. */
  seed?: number;
  /** Independent k-means++ initializations, all run; the lowest inertia wins (1..64). Default 5. */
  restarts?: number;
  /** Lloyd iterations per restart at most (1..10000). Default 100. */
  maxIter?: number;
  /**
   * Convergence tolerance, as in scikit-learn: a restart stops when the squared Frobenius norm of
   * its centroids' shift in one iteration is at most `tol` × the mean per-feature variance of the
   * data being fitted, or when no label changed. Default 1e-4 (scikit-learn's).
   */
  tol?: number;
  /** `"l2"`: L2-normalize every vector first (the inertia is then over the unit vectors). Default "l2". */
  normalize?: KMeansNormalize;
  /**
   * k-means++ seeds on a seeded random sample of this many vectors when there are more (its greedy
   * trials cost a pass over the data per centroid). Default 8192.
   */
  sampleSize?: number;
  /**
   * Above this many vectors, the whole fit (seeding and Lloyd) runs on a seeded random sample of this
   * size and every vector is then assigned to its nearest centroid. Default 32768: 167 images of
   * a ViT-S/16 at 224 px. Twice that doubled a fit's memory and made 400 images' k-means take 4.9×
   * the time of 100 images' instead of ~2× (clustering quality of K ≤ 32 centroids does not need more).
   */
  fitSampleSize?: number;
  /**
   * Compute the exact inertia (a float64 pass over every vector). Default true; false returns
   * `NaN`, for fits whose inertia nobody reads (the explorer's provisional frames).
   */
  inertia?: boolean;
}

/** The defaults of {@link KMeansOptions}. */
export const KMEANS_DEFAULTS = Object.freeze({
  k: DEFAULT_K,
  seed: 0,
  restarts: 5,
  maxIter: 100,
  tol: 1e-4,
  normalize: "l2" as KMeansNormalize,
  sampleSize: 8192,
  fitSampleSize: 32768,
  inertia: true,
});

/** Options with every default applied and every value checked. */
export type ResolvedKMeansOptions = Readonly<Required<KMeansOptions>>;

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || Number.isNaN(value))
    throw new OptionTypeError(
      `invalid k-means option ${name}: ${JSON.stringify(value)}; expected an integer`,
    );
  if (!Number.isInteger(value) || value < min || value > max)
    throw new OptionRangeError(
      `invalid k-means option ${name}: ${value}; expected an integer in ${min}..${max}`,
    );
  return value;
}

/** Applies the defaults and checks every option: OptionTypeError for a wrong kind, OptionRangeError for a bad value (both InputErrors). */
export function resolveKMeansOptions(options: KMeansOptions = {}): ResolvedKMeansOptions {
  if (typeof options !== "object" || options === null)
    throw new OptionTypeError(`invalid k-means options: ${JSON.stringify(options)}; expected an object`);
  const o = { ...KMEANS_DEFAULTS, ...definedOnly(options) };
  const tol = o.tol as unknown;
  if (typeof tol !== "number" || Number.isNaN(tol))
    throw new OptionTypeError(`invalid k-means option tol: ${JSON.stringify(tol)}; expected a number`);
  if (!(tol >= 0 && tol < Number.POSITIVE_INFINITY))
    throw new OptionRangeError(`invalid k-means option tol: ${tol}; expected a finite number ≥ 0`);
  const normalize = o.normalize as unknown;
  if (normalize !== "l2" && normalize !== "none")
    throw new OptionRangeError(
      `invalid k-means option normalize: ${JSON.stringify(normalize)}; expected "l2" or "none"`,
    );
  const k = integer("k", o.k, K_RANGE[0], K_RANGE[1]);
  return Object.freeze({
    k,
    seed: integer("seed", o.seed, 0, 0xffffffff),
    restarts: integer("restarts", o.restarts, 1, 64),
    maxIter: integer("maxIter", o.maxIter, 1, 10000),
    tol,
    normalize,
    sampleSize: integer("sampleSize", o.sampleSize, k, 2 ** 30),
    fitSampleSize: integer("fitSampleSize", o.fitSampleSize, k, 2 ** 30),
    inertia: flag("inertia", o.inertia),
  });
}

function flag(name: string, value: unknown): boolean {
  if (typeof value !== "boolean")
    throw new OptionTypeError(
      `invalid k-means option ${name}: ${JSON.stringify(value)}; expected true or false`,
    );
  return value;
}

// `{k: undefined}` means "default", as an omitted field does.
function definedOnly(options: KMeansOptions): KMeansOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as KMeansOptions;
}

/** Checks the data against its dims and K: an InputError naming what is wrong. */
export function checkKMeansData(data: unknown, dims: unknown, k: number): [n: number, d: number] {
  if (!(data instanceof Float32Array))
    throw new TypeError(`k-means data must be a Float32Array; got ${describe(data)}`);
  if (
    !Array.isArray(dims) ||
    dims.length !== 2 ||
    !dims.every((v) => Number.isInteger(v) && (v as number) > 0)
  )
    throw new InputError(`k-means dims must be [n, d] with positive integers; got ${JSON.stringify(dims)}`);
  const [n, d] = dims as [number, number];
  if (data.length !== n * d)
    throw new InputError(`k-means data has ${data.length} values, but dims [${n}, ${d}] need ${n * d}`);
  if (n < k)
    throw new InputError(`k-means with k = ${k} needs at least ${k} vectors; got n = ${n} (lower k)`);
  return [n, d];
}

/** Checks a row file's shape like {@link checkKMeansData} checks an array's. */
export function checkRowFile(file: RowFile, k: number): void {
  if (!Number.isInteger(file.width) || file.width < 1 || !Number.isInteger(file.rows) || file.rows < 1)
    throw new InputError(`k-means rows must have a positive shape; got [${file.rows}, ${file.width}]`);
  if (file.rows < k)
    throw new InputError(`k-means with k = ${k} needs at least ${k} vectors; got n = ${file.rows} (lower k)`);
}

function describe(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? String(value);
  return (value as object).constructor?.name ?? "an object";
}

/** Options of {@link KMeansWorker.fit}: the k-means options plus transport and cancellation. */
export interface KMeansFitOptions extends KMeansOptions {
  /** Aborting rejects the fit with a CancelledError at once; the worker stops within an iteration. */
  signal?: AbortSignal;
  /**
   * Hand `data`'s buffer to the worker instead of copying it (it is detached afterwards). Only when
   * `data` spans its whole buffer; otherwise it is copied anyway. Default false. Data in a
   * `SharedArrayBuffer` is never copied nor transferred: the worker reads it where it is.
   */
  transfer?: boolean;
  /**
   * The data's identity: the same key always stands for the same values. Fits of one key go to the
   * same worker, which keeps the rows as clustered (normalized) for the next fit of that key, so a
   * K slider move does not prepare 12 layers again. For data that does not change (cached features).
   */
  dataKey?: string;
}
