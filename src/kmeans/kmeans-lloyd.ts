import { CancelledError } from "../errors";
import { meanVariance } from "./kmeans-data";
import type { KMeansEngine, LloydStepOptions, LloydStepResult } from "./kmeans-engine";
import { absorbStep, createRestart, type FitContext, moveCentroids, type Restart } from "./kmeans-restart";

/** One restart's outcome: centroids and the labels and inertia of exactly those centroids. */
export interface RestartResult {
  /** float32 `[k, d]`. */
  centroids: Float32Array;
  /** int32 `[n]`: each vector's nearest centroid (the first on ties). */
  labels: Int32Array;
  /** Σ ‖x − c(label)‖² in float64 over float32 distances from the graph (for ranking restarts). */
  inertia: number;
  /** Lloyd steps run. */
  iterations: number;
}

/** Settings of {@link runLloyd}. */
export interface LloydSettings {
  k: number;
  maxIter: number;
  /**
   * A restart stops when its centroids' squared Frobenius shift is at most `tol` × the data's mean
   * per-feature variance (scikit-learn's rule), or when no label changes.
   */
  tol: number;
  /** Polled between iterations; true stops the fit with a CancelledError. */
  cancelled?: () => boolean;
}

/**
 * Past this share of vectors to re-measure, a step measures all of them: gathering the rows then
 * costs about what measuring the others would.
 */
const FULL_PASS_SHARE = 1 / 2;

/**
 * Above this ratio of (labels that moved in the last step) to (rows · restarts · K measured now),
 * the graph computes the change of the cluster sums; below it, JS moves the movers' vectors. From
 * the costs: ~2d float64 updates per mover in JS vs 2·K·d flops per row and restart in the GEMM.
 */
const GRAPH_SUMS_PER_MOVER = 32;

/**
 * Lloyd's algorithm for several restarts in lockstep: each iteration is one onnxruntime run with
 * every still-running restart's centroids stacked, over the vectors whose label might change
 * (Hamerly's bounds, see {@link Restart}) — all of them at first, a few percent near the end; while
 * many labels move, the run also returns how the cluster sums change.
 * Finally one run labels all vectors for every restart's final centroids, which also gives each
 * restart's inertia.
 *
 * `data` float32 `[n, d]` with squared row norms `norms`; `initial` float32 `[restarts·k, d]`.
 */
export async function runLloyd(
  engine: KMeansEngine,
  data: Float32Array,
  dims: [n: number, d: number],
  norms: Float64Array,
  initial: Float32Array,
  settings: LloydSettings,
): Promise<RestartResult[]> {
  const { k } = settings;
  const size = k * dims[1];
  const context: FitContext = { data, dims, norms, k, tolerance: Number.NaN };
  const restarts = Array.from({ length: initial.length / size }, (_, r) =>
    createRestart(initial.slice(r * size, (r + 1) * size), context),
  );
  for (let iteration = 0; ; iteration++) {
    const active = restarts.filter((r) => !r.done);
    if (active.length === 0) break;
    if (settings.cancelled?.()) throw new CancelledError("k-means cancelled");
    const step = await stepRestarts(engine, context, active);
    if (iteration === 0) context.tolerance = settings.tol * meanVariance(norms, columnSums(step, k, dims[1]));
    for (const r of active) {
      moveCentroids(r, context);
      if (r.iterations >= settings.maxIter) r.done = true;
    }
  }
  return finalAssignment(engine, context, restarts);
}

/** One step of the active restarts over the rows some of them must re-measure; undefined if none. */
async function stepRestarts(
  engine: KMeansEngine,
  c: FitContext,
  active: Restart[],
): Promise<LloydStepResult | undefined> {
  const [n, d] = c.dims;
  const rows = rowsToMeasure(active, n);
  if (rows !== undefined && rows.length === 0) {
    for (const r of active) {
      r.changed = 0;
      r.iterations++;
    }
    return undefined;
  }
  const width = active.length;
  const size = c.k * d;
  const stacked = new Float32Array(width * size);
  active.forEach((r, j) => {
    stacked.set(r.centroids, j * size);
  });
  const m = rows?.length ?? n;
  const options: LloydStepOptions = rows === undefined ? {} : { rows };
  // Moving a vector between the sums costs JS ~2d float64 updates; in the graph, the sums' GEMM
  // costs about as much as the measuring itself, ~2·m·K·d flops per restart at ~50 GFLOP/s here.
  const movers = active.reduce((total, r) => total + r.changed, 0);
  const first = active.some((r) => r.iterations === 0);
  if (first || movers * GRAPH_SUMS_PER_MOVER > m * width * c.k)
    options.previous = previousLabels(active, rows, m);
  const step = await engine.lloydStep(c.data, c.dims, stacked, c.k, options);
  active.forEach((r, j) => {
    absorbStep(r, step, [j, width], rows, c);
  });
  return step;
}

/** int32 `[m, restarts]`: the measured rows' current labels, per active restart. */
function previousLabels(active: Restart[], rows: Int32Array | undefined, m: number): Int32Array {
  const width = active.length;
  const previous = new Int32Array(m * width);
  active.forEach(({ labels }, j) => {
    for (let t = 0, at = j; t < m; t++, at += width)
      previous[at] = labels[rows === undefined ? t : (rows[t] as number)] as number;
  });
  return previous;
}

/** Rows where some active restart's bounds allow a label change; undefined for all rows. */
function rowsToMeasure(active: Restart[], n: number): Int32Array | undefined {
  if (active.some((r) => r.upper.length === 0)) return undefined;
  const marked = new Uint8Array(n);
  let count = 0;
  for (const { upper, lower } of active) {
    for (let i = 0; i < n; i++) {
      if (marked[i] === 0 && (upper[i] as number) > (lower[i] as number)) {
        marked[i] = 1;
        count++;
      }
    }
  }
  if (count > n * FULL_PASS_SHARE) return undefined;
  const rows = new Int32Array(count);
  for (let i = 0, t = 0; i < n; i++) if (marked[i] === 1) rows[t++] = i;
  return rows;
}

/** Σ over all n vectors, from the first restart's cluster sums of a step with sums. */
function columnSums(step: LloydStepResult | undefined, k: number, d: number): Float64Array {
  const sums = step?.sums as Float32Array;
  const out = new Float64Array(d);
  for (let cluster = 0; cluster < k; cluster++)
    for (let f = 0; f < d; f++) out[f] = (out[f] as number) + (sums[cluster * d + f] as number);
  return out;
}

/** Labels and inertia of every restart's final centroids, from one run over all vectors. */
async function finalAssignment(
  engine: KMeansEngine,
  c: FitContext,
  restarts: Restart[],
): Promise<RestartResult[]> {
  const [n, d] = c.dims;
  const size = c.k * d;
  const width = restarts.length;
  const stacked = new Float32Array(width * size);
  restarts.forEach((r, j) => {
    stacked.set(r.centroids, j * size);
  });
  const step = await engine.lloydStep(c.data, c.dims, stacked, c.k);
  return restarts.map((r, j) => {
    const labels = new Int32Array(n);
    let inertia = 0;
    for (let i = 0, at = j; i < n; i++, at += width) {
      labels[i] = step.labels[at] as number;
      inertia += Math.max(0, (step.partial[2 * at] as number) + (c.norms[i] as number));
    }
    return { centroids: r.centroids, labels, inertia, iterations: r.iterations };
  });
}
