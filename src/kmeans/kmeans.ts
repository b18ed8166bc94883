import { CancelledError } from "../errors";
import { createRandom, type Random } from "../util/random";
import type { RowScratch } from "../util/row-file";
import {
  exactInertia,
  gatherRows,
  l2NormalizeRows,
  type RowNumber,
  rowSquaredNorms,
  sampleIndices,
} from "./kmeans-data";
import { createKMeansEngine, type KMeansEngine } from "./kmeans-engine";
import { type RestartResult, runLloyd } from "./kmeans-lloyd";
import {
  checkKMeansData,
  type KMeansOptions,
  type ResolvedKMeansOptions,
  resolveKMeansOptions,
} from "./kmeans-options";
import { seedKMeansPlusPlus } from "./kmeans-plus-plus";

/** A k-means fit over n vectors of d features. */
export interface KMeansResult {
  /** int32 `[n]`: each vector's cluster, 0..k−1. */
  labels: Int32Array;
  /** float32 `[k, d]`: the cluster centres, in the space clustered (unit vectors' means for "l2"). */
  centroids: Float32Array;
  /**
   * Σ over all n vectors of the squared distance to their centroid, over the vectors as clustered
   * (after normalization): float32 data, float64 differences and sum, as `seglens segment`
   * writes it to meta.json.
   */
  inertia: number;
  /** Lloyd iterations of the winning restart. */
  iterations: number;
  /** Restarts run (all of them: the lowest inertia wins). */
  restartsRun: number;
}

/** {@link KMeansOptions} plus cancellation. */
export interface KMeansRunOptions extends KMeansOptions {
  /** Aborting stops the fit between iterations with a CancelledError. */
  signal?: AbortSignal;
}

let sharedEngine: KMeansEngine | undefined;

/**
 * Clusters `data`, float32 `[n, d]` in C order, with k-means: k-means++ seeding (on a sample when
 * n > `sampleSize`), `restarts` Lloyd runs in lockstep as onnxruntime graphs, lowest inertia wins;
 * above `fitSampleSize` vectors it fits on a sample and assigns every vector. Same data, options and
 * seed give the same labels. Runs in the calling thread (onnxruntime blocks it during each
 * iteration): the kernel uses `createKMeansWorker()` (kmeans-client.ts) instead. The sessions stay
 * open for the next call until {@link releaseKMeansSessions}.
 *
 * @example
 * const { labels, inertia } = await kmeans(features, [6272, 768], { k: 6, seed: 0 });
 * labels; // Int32Array(6272), values 0..5
 */
export async function kmeans(
  data: Float32Array,
  dims: readonly [n: number, d: number],
  options: KMeansRunOptions = {},
): Promise<KMeansResult> {
  const { signal, ...rest } = options;
  const resolved = resolveKMeansOptions(rest);
  sharedEngine ??= createKMeansEngine();
  const [n, d] = checkKMeansData(data, dims, resolved.k);
  return fitKMeans(sharedEngine, rowsInMemory(data, [n, d]), resolved, () => signal?.aborted === true);
}

/** Releases the onnxruntime sessions {@link kmeans} keeps open in this thread (reopened on next use). */
export async function releaseKMeansSessions(): Promise<void> {
  const engine = sharedEngine;
  sharedEngine = undefined;
  await engine?.dispose();
}

/**
 * The rows to cluster, however they are stored: `rows` gives a consecutive range (a view for data
 * in memory), `gather` the rows of a sorted sample, both float32 `[count, d]`. A fit on a sample
 * reads only the sample and then one chunk at a time, so a file-backed matrix never sits in memory
 * whole.
 */
export interface KMeansRows {
  n: number;
  d: number;
  rows(first: number, count: number): Float32Array;
  gather(indices: Int32Array): Float32Array;
  /**
   * Whether `rows` returns a fresh array (read from a file) that may be normalized in place. A
   * fresh array may be overwritten by the next `rows` or `gather` call (the worker reuses one buffer).
   */
  freshRows: boolean;
  /**
   * The whole data as clustered, kept between fits of the same data (the k-means worker keeps it
   * for a fit given a `dataKey`): `make` prepares it when it is not kept yet. Absent: every fit
   * prepares the rows it reads.
   */
  keep?: (normalize: ResolvedKMeansOptions["normalize"], make: () => PreparedRows) => PreparedRows;
  /** A buffer the fit may reuse for its sample of kept rows (the worker's, shared by its fits). */
  scratch?: RowScratch;
}

/** Rows as clustered (unit length for "l2") and their squared norms. */
export interface PreparedRows {
  vectors: Float32Array;
  norms: Float64Array;
}

/** Rows of float32 `[n, d]` data in memory. */
export function rowsInMemory(data: Float32Array, [n, d]: readonly [number, number]): KMeansRows {
  return {
    n,
    d,
    rows: (first, count) => data.subarray(first * d, (first + count) * d),
    gather: (indices) => gatherRows(data, d, indices),
    freshRows: false,
  };
}

/**
 * The k-means core behind {@link kmeans} and the k-means worker: `engine` runs the graphs,
 * `cancelled` is polled between iterations. The data is never modified.
 */
export async function fitKMeans(
  engine: KMeansEngine,
  data: KMeansRows,
  options: ResolvedKMeansOptions,
  cancelled: () => boolean = () => false,
): Promise<KMeansResult> {
  // A fit queued behind others may have been cancelled while it waited.
  if (cancelled()) throw new CancelledError("k-means cancelled");
  const { n, d } = data;
  const random = createRandom(options.seed);
  const restartRandoms = Array.from({ length: options.restarts }, () => createRandom(random.int(2 ** 32)));
  const prepareAll = () => prepare(data.rows(0, n), d, options, (i) => i, data.freshRows);
  // Preparing is row by row, so rows taken from the kept whole equal rows prepared alone.
  const whole = data.keep?.(options.normalize, prepareAll);
  if (n <= options.fitSampleSize) {
    const { vectors, norms } = whole ?? prepareAll();
    const best = await fitRows(engine, vectors, norms, options, random, restartRandoms, cancelled);
    const inertia = options.inertia ? exactInertia(vectors, n, d, best.centroids, best.labels) : Number.NaN;
    return result(best, best.labels, inertia, options);
  }
  // The sample is dropped before the assignment, so only one of them is in memory at a time.
  const best = await fitSample(engine, data, whole, options, random, restartRandoms, cancelled);
  const { labels, inertia } = await assignAll(engine, data, whole, options, best, cancelled);
  return result(best, labels, inertia, options);
}

/** Seeding and Lloyd on a seeded random sample of `fitSampleSize` rows. */
async function fitSample(
  engine: KMeansEngine,
  data: KMeansRows,
  whole: PreparedRows | undefined,
  options: ResolvedKMeansOptions,
  random: Random,
  restartRandoms: Random[],
  cancelled: () => boolean,
): Promise<RestartResult> {
  const sample = sampleIndices(data.n, options.fitSampleSize, random);
  const rowNumber = (i: number) => sample[i] as number;
  const { vectors, norms } =
    whole === undefined
      ? prepare(data.gather(sample), data.d, options, rowNumber, true)
      : {
          vectors: gatherRows(whole.vectors, data.d, sample, data.scratch),
          norms: Float64Array.from(sample, (row) => whole.norms[row] as number),
        };
  return fitRows(engine, vectors, norms, options, random, restartRandoms, cancelled);
}

/** k-means++ seeding and Lloyd's restarts over `vectors` as clustered; the lowest inertia wins. */
async function fitRows(
  engine: KMeansEngine,
  vectors: Float32Array,
  norms: Float64Array,
  options: ResolvedKMeansOptions,
  random: Random,
  restartRandoms: Random[],
  cancelled: () => boolean,
): Promise<RestartResult> {
  const dims: [number, number] = [norms.length, vectors.length / norms.length];
  const initial = await seed(engine, vectors, dims, norms, options, random, restartRandoms);
  if (cancelled()) throw new CancelledError("k-means cancelled");
  const { k, maxIter, tol } = options;
  const results = await runLloyd(engine, vectors, dims, norms, initial, { k, maxIter, tol, cancelled });
  return results.reduce((a, b) => (b.inertia < a.inertia ? b : a));
}

function result(
  best: RestartResult,
  labels: Int32Array,
  inertia: number,
  options: ResolvedKMeansOptions,
): KMeansResult {
  return {
    labels,
    centroids: best.centroids,
    inertia,
    iterations: best.iterations,
    restartsRun: options.restarts,
  };
}

/** Rows as clustered (unit length for "l2") and their squared norms; `rowNumber` names a bad row. */
function prepare(
  rows: Float32Array,
  d: number,
  options: ResolvedKMeansOptions,
  rowNumber: RowNumber,
  inPlace: boolean,
): PreparedRows {
  const n = rows.length / d;
  if (options.normalize === "l2") return l2NormalizeRows(rows, n, d, rowNumber, inPlace);
  // onnxruntime-node refuses tensors over shared memory ("Invalid argument"): those rows are copied.
  const vectors = rows.buffer instanceof SharedArrayBuffer ? rows.slice() : rows;
  return { vectors, norms: rowSquaredNorms(rows, n, d, rowNumber) };
}

/** k-means++ for every restart, on a sample of the fitted vectors when they are more than `sampleSize`. */
async function seed(
  engine: KMeansEngine,
  data: Float32Array,
  [n, d]: [number, number],
  norms: Float64Array,
  options: ResolvedKMeansOptions,
  random: Random,
  restartRandoms: Random[],
): Promise<Float32Array> {
  if (n <= options.sampleSize)
    return seedKMeansPlusPlus(engine, data, [n, d], norms, options.k, restartRandoms);
  const rows = sampleIndices(n, options.sampleSize, random);
  const sampleNorms = Float64Array.from(rows, (row) => norms[row] as number);
  const sample = gatherRows(data, d, rows);
  return seedKMeansPlusPlus(engine, sample, [rows.length, d], sampleNorms, options.k, restartRandoms);
}

// Rows per assignment run: bounds the chunk read and prepared (25 MB for ViT-S, 50 MB for ViT-B)
// and the graph's intermediates. A row's label does not depend on the chunk it is in.
const ASSIGN_CHUNK_ROWS = 16384;

/**
 * Labels of all n vectors against the winning centroids (after a fit on a sample), chunk by chunk,
 * and the exact inertia summed in row order, as one pass over all rows would.
 */
async function assignAll(
  engine: KMeansEngine,
  data: KMeansRows,
  whole: PreparedRows | undefined,
  options: ResolvedKMeansOptions,
  best: RestartResult,
  cancelled: () => boolean,
): Promise<{ labels: Int32Array; inertia: number }> {
  const { n, d } = data;
  const labels = new Int32Array(n);
  let inertia = options.inertia ? 0 : Number.NaN;
  for (let first = 0; first < n; first += ASSIGN_CHUNK_ROWS) {
    if (cancelled()) throw new CancelledError("k-means cancelled");
    const rows = Math.min(ASSIGN_CHUNK_ROWS, n - first);
    const vectors =
      whole?.vectors.subarray(first * d, (first + rows) * d) ??
      prepare(data.rows(first, rows), d, options, (i) => first + i, data.freshRows).vectors;
    const step = await engine.lloydStep(vectors, [rows, d], best.centroids, best.centroids.length / d);
    labels.set(step.labels, first);
    if (options.inertia) inertia = exactInertia(vectors, rows, d, best.centroids, step.labels, inertia);
  }
  return { labels, inertia };
}
