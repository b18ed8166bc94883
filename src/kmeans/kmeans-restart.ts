import type { LloydStepResult } from "./kmeans-engine";

/**
 * The state of one k-means restart between Lloyd steps, with Hamerly's bounds (Hamerly 2010,
 * "Making k-means even faster"): per vector, an upper bound on the distance to its centroid and a
 * lower bound on the distance to every other one. While upper ≤ lower the label cannot change, so
 * the next step only re-measures the vectors where that fails — late iterations touch a few percent.
 */
export interface Restart {
  /** float32 `[k, d]`: the centroids the next step measures against. */
  centroids: Float32Array;
  /** int32 `[n]`: the current assignment, which `sums` and `counts` agree with. */
  labels: Int32Array;
  /** Hamerly's bounds in distance units (not squared); empty before the first step. */
  upper: Float64Array;
  lower: Float64Array;
  /** Per cluster, the float64 sum of its vectors (`[k, d]`) and their number (`[k]`). */
  sums: Float64Array;
  counts: Float64Array;
  /** Largest ‖c‖² of the centroids: scales the float32 error margin of the graph's distances. */
  largestNorm: number;
  /** Labels changed by the last step (n after the first). */
  changed: number;
  iterations: number;
  done: boolean;
}

/** The data and settings every restart of one fit shares. */
export interface FitContext {
  /** float32 `[n, d]`. */
  data: Float32Array;
  dims: [n: number, d: number];
  /** float64 `[n]`: ‖x‖². */
  norms: Float64Array;
  k: number;
  /** Absolute tolerance on the squared Frobenius shift of the centroids (NaN until known). */
  tolerance: number;
}

/**
 * Margin for the graph's float32 distances, relative to ‖x‖² + ‖c‖²: float32 GEMM rounding over
 * d ≤ a few thousand terms stays well inside 2⁻¹⁶; vectors this close to a tie are always re-measured.
 */
const MARGIN = 2 ** -16;

/** A restart starting from `centroids` (float32 `[k, d]`). */
export function createRestart(centroids: Float32Array, c: FitContext): Restart {
  return {
    centroids,
    labels: new Int32Array(c.dims[0]).fill(-1),
    upper: new Float64Array(0),
    lower: new Float64Array(0),
    sums: new Float64Array(c.k * c.dims[1]),
    counts: new Float64Array(c.k),
    largestNorm: largestNorm(centroids, c.k, c.dims[1]),
    changed: c.dims[0],
    iterations: 0,
    done: false,
  };
}

function largestNorm(centroids: Float32Array, k: number, d: number): number {
  let largest = 0;
  for (let cluster = 0; cluster < k; cluster++) {
    let sum = 0;
    for (let f = cluster * d; f < (cluster + 1) * d; f++) sum += (centroids[f] as number) ** 2;
    largest = Math.max(largest, sum);
  }
  return largest;
}

/**
 * Takes column `j` of a step over `rows` (all rows when undefined) into the restart: labels, exact
 * bounds for the rows measured, and the change of the cluster sums and counts — from the graph, or
 * by moving the vectors whose label changed.
 */
export function absorbStep(
  r: Restart,
  step: LloydStepResult,
  [j, width]: [column: number, width: number],
  rows: Int32Array | undefined,
  c: FitContext,
): void {
  const [n, d] = c.dims;
  if (r.upper.length === 0) {
    r.upper = new Float64Array(n);
    r.lower = new Float64Array(n);
  }
  const { labels, upper, lower } = r;
  const { partial, labels: stepLabels } = step;
  const measured = rows?.length ?? n;
  let changed = 0;
  for (let t = 0, at = j; t < measured; t++, at += width) {
    const i = rows === undefined ? t : (rows[t] as number);
    const norm = c.norms[i] as number;
    const margin = MARGIN * (norm + r.largestNorm);
    upper[i] = Math.sqrt(Math.max(0, (partial[2 * at] as number) + norm) + margin);
    lower[i] = Math.sqrt(Math.max(0, (partial[2 * at + 1] as number) + norm - margin));
    const label = stepLabels[at] as number;
    if (label !== labels[i]) {
      changed++;
      if (step.sums === undefined) moveVector(r, c, i, labels[i] as number, label);
      labels[i] = label;
    }
  }
  if (step.sums !== undefined && step.counts !== undefined) {
    const { sums, counts } = step;
    for (let f = 0, from = j * c.k * d; f < c.k * d; f++)
      r.sums[f] = (r.sums[f] as number) + (sums[from + f] as number);
    for (let k = 0; k < c.k; k++) r.counts[k] = (r.counts[k] as number) + (counts[j * c.k + k] as number);
  }
  r.changed = changed;
  r.iterations++;
}

/** Moves vector `i` from cluster `from` to cluster `to` in the restart's sums and counts. */
function moveVector(r: Restart, c: FitContext, i: number, from: number, to: number): void {
  const sums = r.sums;
  const d = c.dims[1];
  const row = i * d;
  const a = from * d;
  const b = to * d;
  for (let f = 0; f < d; f++) {
    const v = c.data[row + f] as number;
    sums[a + f] = (sums[a + f] as number) - v;
    sums[b + f] = (sums[b + f] as number) + v;
  }
  r.counts[from] = (r.counts[from] as number) - 1;
  r.counts[to] = (r.counts[to] as number) + 1;
}

/**
 * Moves the centroids to their clusters' means (empty clusters re-seeded) and loosens the bounds by
 * how far each moved; ends the restart at a fixed point or when the shift is within the tolerance
 * (then, as scikit-learn, with the new means: the final assignment labels them).
 */
export function moveCentroids(r: Restart, c: FitContext): void {
  const d = c.dims[1];
  const next = r.centroids.slice();
  const relocated = relocateEmptyClusters(r, c, next);
  if (r.changed === 0 && relocated === 0) {
    r.done = true; // The same labels give the same means: a fixed point.
    return;
  }
  const sums = r.sums;
  const moved = new Float64Array(c.k);
  let shift = 0;
  for (let cluster = 0; cluster < c.k; cluster++) {
    const count = r.counts[cluster] as number;
    let squared = 0;
    for (let f = cluster * d; f < (cluster + 1) * d; f++) {
      if (count > 0) next[f] = (sums[f] as number) / count;
      squared += ((next[f] as number) - (r.centroids[f] as number)) ** 2;
    }
    moved[cluster] = Math.sqrt(squared);
    shift += squared;
  }
  r.centroids = next;
  r.largestNorm = largestNorm(next, c.k, d);
  if (shift <= c.tolerance) r.done = true;
  else if (relocated > 0)
    r.lower.fill(0); // Re-measure every vector after a re-seed.
  else loosenBounds(r, moved);
}

/** Triangle inequality: a vector's centroid is at most `moved` farther, any other at most max(moved) nearer. */
function loosenBounds(r: Restart, moved: Float64Array): void {
  let first = 0;
  for (let cluster = 1; cluster < moved.length; cluster++)
    if ((moved[cluster] as number) > (moved[first] as number)) first = cluster;
  let second = 0;
  for (let cluster = 0; cluster < moved.length; cluster++)
    if (cluster !== first && (moved[cluster] as number) > second) second = moved[cluster] as number;
  const most = moved[first] as number;
  const { labels, upper, lower } = r;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    upper[i] = (upper[i] as number) + (moved[label] as number);
    lower[i] = (lower[i] as number) - (label === first ? second : most);
  }
}

/**
 * Gives every empty cluster the vector farthest from its own centroid (the next farthest for the
 * next empty cluster), taking it out of its old cluster, as scikit-learn does
 * (`_relocate_empty_clusters_dense`); `next` receives it as the new centroid. A vector is only taken
 * from a cluster that keeps another one, and never at distance 0: with fewer distinct vectors than
 * K a cluster may stay empty, its centroid unchanged. Returns how many clusters were re-seeded.
 */
function relocateEmptyClusters(r: Restart, c: FitContext, next: Float32Array): number {
  const empty: number[] = [];
  r.counts.forEach((count, cluster) => {
    if (count === 0) empty.push(cluster);
  });
  if (empty.length === 0) return 0;
  const d = c.dims[1];
  const distances = distancesToOwnCentroid(r, c);
  const taken = new Uint8Array(r.labels.length);
  let relocated = 0;
  for (const cluster of empty) {
    let far = -1;
    for (let i = 0; i < r.labels.length; i++) {
      if (taken[i] === 1 || (r.counts[r.labels[i] as number] as number) <= 1) continue;
      if (far < 0 || (distances[i] as number) > (distances[far] as number)) far = i;
    }
    if (far < 0 || (distances[far] as number) === 0) continue;
    taken[far] = 1;
    moveVector(r, c, far, r.labels[far] as number, cluster);
    r.labels[far] = cluster;
    next.set(c.data.subarray(far * d, far * d + d), cluster * d);
    relocated++;
  }
  return relocated;
}

/** float64 ‖x − c(label)‖² of every vector (only when a cluster is empty, which is rare). */
function distancesToOwnCentroid(r: Restart, c: FitContext): Float64Array {
  const [n, d] = c.dims;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    const centre = (r.labels[i] as number) * d;
    let sum = 0;
    for (let f = 0; f < d; f++)
      sum += ((c.data[row + f] as number) - (r.centroids[centre + f] as number)) ** 2;
    out[i] = sum;
  }
  return out;
}
