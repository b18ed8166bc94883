import type { Random } from "../util/random";
import type { KMeansEngine } from "./kmeans-engine";

/**
 * Greedy k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's 2 + ⌊ln K⌋ trials per centroid)
 * for several restarts at once: every centroid step measures all restarts' trial points against the
 * vectors in one onnxruntime GEMM; sampling and bookkeeping stay in float64 JS.
 *
 * `data` is float32 `[m, d]` with its rows' squared norms `norms`; `randoms` holds one generator per
 * restart, so restart r's seeds do not depend on how many restarts run. Returns float32
 * `[randoms.length·k, d]`: restart r's centroids in rows r·k .. r·k+k−1.
 */
export async function seedKMeansPlusPlus(
  engine: KMeansEngine,
  data: Float32Array,
  [m, d]: [m: number, d: number],
  norms: Float64Array,
  k: number,
  randoms: readonly Random[],
): Promise<Float32Array> {
  const restarts = randoms.length;
  const trials = 2 + Math.floor(Math.log(k));
  const centroids = new Float32Array(restarts * k * d);
  const chosen = randoms.map((random) => random.int(m));
  const closest = randoms.map(() => new Float64Array(m));
  const potential = new Float64Array(restarts);
  chosen.forEach((row, r) => {
    copyRow(data, row, centroids, r * k, d);
  });
  const first = await engine.distances(data, [m, d], gatherPoints(data, chosen, d));
  for (let r = 0; r < restarts; r++) {
    const dist = closest[r] as Float64Array;
    for (let i = 0; i < m; i++) dist[i] = squared(first, i * restarts + r, norms[i] as number);
    potential[r] = sum(dist);
  }
  for (let c = 1; c < k; c++) {
    const candidates: number[] = [];
    for (let r = 0; r < restarts; r++)
      candidates.push(
        ...drawCandidates(closest[r] as Float64Array, potential[r] as number, trials, randoms[r] as Random),
      );
    const dist = await engine.distances(data, [m, d], gatherPoints(data, candidates, d));
    const width = candidates.length;
    for (let r = 0; r < restarts; r++) {
      const best = bestTrial(closest[r] as Float64Array, dist, width, r * trials, trials, norms);
      potential[r] = best.potential;
      copyRow(data, candidates[r * trials + best.trial] as number, centroids, r * k + c, d);
    }
  }
  return centroids;
}

/** ‖x − p‖² from the graph's ‖p‖² − 2 x·p, clamped at 0 against float32 rounding. */
function squared(partial: Float32Array, at: number, norm: number): number {
  return Math.max(0, (partial[at] as number) + norm);
}

function sum(values: Float64Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i] as number;
  return total;
}

function copyRow(from: Float32Array, row: number, to: Float32Array, toRow: number, d: number): void {
  to.set(from.subarray(row * d, row * d + d), toRow * d);
}

function gatherPoints(data: Float32Array, rows: readonly number[], d: number): Float32Array {
  const points = new Float32Array(rows.length * d);
  rows.forEach((row, i) => {
    copyRow(data, row, points, i, d);
  });
  return points;
}

/**
 * `trials` rows drawn with probability proportional to their squared distance to the nearest
 * centroid so far (scikit-learn: `searchsorted(cumsum(closest), uniform·potential)`). When every
 * distance is 0 (fewer distinct vectors than K) this picks row 0, a duplicate Lloyd then handles.
 */
function drawCandidates(closest: Float64Array, potential: number, trials: number, random: Random): number[] {
  const cumulative = new Float64Array(closest.length);
  let running = 0;
  for (let i = 0; i < closest.length; i++) {
    running += closest[i] as number;
    cumulative[i] = running;
  }
  const rows: number[] = [];
  for (let t = 0; t < trials; t++) {
    const target = random.uniform() * potential;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    rows.push(lo);
  }
  return rows;
}

/**
 * The trial that leaves the smallest potential (the first on ties); updates `closest` to the
 * distances with that trial added.
 */
function bestTrial(
  closest: Float64Array,
  dist: Float32Array,
  width: number,
  column: number,
  trials: number,
  norms: Float64Array,
): { trial: number; potential: number } {
  let best = { trial: 0, potential: Number.POSITIVE_INFINITY };
  for (let t = 0; t < trials; t++) {
    let total = 0;
    for (let i = 0; i < closest.length; i++)
      total += Math.min(closest[i] as number, squared(dist, i * width + column + t, norms[i] as number));
    if (total < best.potential) best = { trial: t, potential: total };
  }
  for (let i = 0; i < closest.length; i++) {
    const candidate = squared(dist, i * width + column + best.trial, norms[i] as number);
    if (candidate < (closest[i] as number)) closest[i] = candidate;
  }
  return best;
}
