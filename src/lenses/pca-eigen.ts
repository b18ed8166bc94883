import { EigenvalueDecomposition, Matrix } from "ml-matrix";

/** The largest eigenvalues of a symmetric matrix and their unit eigenvectors. */
export interface TopEigen {
  /** Largest first. */
  values: number[];
  /** `[count, d]` row-major: one unit eigenvector per row, in the order of `values`. */
  vectors: Float64Array;
}

// Subspace iteration keeps this many vectors for 3 wanted: the error of the 3rd shrinks by
// λ(BLOCK+1)/λ3 per step, so a wider block converges in fewer, dearer steps.
const BLOCK = 12;
const MAX_STEPS = 300;
// Converged when every wanted Ritz pair's residual ‖Cv − θv‖ is below this share of λ1.
const TOLERANCE = 1e-11;

/** The full symmetric eigendecomposition (ml-matrix: Householder + QL), largest `count` kept. */
function fullEigen(m: Float64Array, d: number, count: number): TopEigen {
  const matrix = new Matrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) matrix.set(i, j, m[i * d + j] as number);
  return ritzOrder(
    new EigenvalueDecomposition(matrix, { assumeSymmetric: true }),
    d,
    count,
    (c, j, vectors) => vectors.get(j, c),
  );
}

/** The `count` largest pairs of a decomposition, largest first (ties: the solver's order). */
function ritzOrder(
  evd: EigenvalueDecomposition,
  d: number,
  count: number,
  entry: (column: number, j: number, vectors: Matrix) => number,
): TopEigen {
  const vectors = evd.eigenvectorMatrix;
  const order = evd.realEigenvalues
    .map((value, i) => ({ value, i }))
    .sort((a, b) => b.value - a.value || a.i - b.i)
    .slice(0, Math.min(count, d));
  const out = new Float64Array(order.length * d);
  order.forEach(({ i }, c) => {
    for (let j = 0; j < d; j++) out[c * d + j] = entry(i, j, vectors);
  });
  return { values: order.map(({ value }) => value), vectors: out };
}

/** `w[k] = m · v[k]` for each of the `p` rows of `v` (m symmetric, `[d, d]`). */
function multiply(m: Float64Array, v: Float64Array, p: number, d: number, w: Float64Array): void {
  w.fill(0);
  for (let i = 0; i < d; i++) {
    const row = i * d;
    for (let k = 0; k < p; k++) {
      let s = 0;
      const o = k * d;
      for (let j = 0; j < d; j++) s += (m[row + j] as number) * (v[o + j] as number);
      w[o + i] = s;
    }
  }
}

/** Orthonormalises the `p` rows of `v` in place (modified Gram–Schmidt, twice for accuracy). */
function orthonormalise(v: Float64Array, p: number, d: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let k = 0; k < p; k++) {
      for (let l = 0; l < k; l++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (v[k * d + j] as number) * (v[l * d + j] as number);
        for (let j = 0; j < d; j++) v[k * d + j] = (v[k * d + j] as number) - dot * (v[l * d + j] as number);
      }
      let norm = 0;
      for (let j = 0; j < d; j++) norm += (v[k * d + j] as number) ** 2;
      norm = Math.sqrt(norm);
      // A vector lost to the others (rank-deficient input): replace it by a unit axis, re-orthogonalised next pass.
      if (norm < 1e-300) v.fill(0, k * d, (k + 1) * d).fill(1, k * d + (k % d), k * d + (k % d) + 1);
      else for (let j = 0; j < d; j++) v[k * d + j] = (v[k * d + j] as number) / norm;
    }
  }
}

/**
 * The `count` (≤ 3 here) largest eigenpairs of the symmetric `[d, d]` matrix `m` (row-major).
 * Subspace iteration with Rayleigh–Ritz on a block of {@link BLOCK} vectors, started from the
 * matrix's columns of largest diagonal (deterministic), costs BLOCK·d² a step; a spectrum too flat
 * to converge in {@link MAX_STEPS} steps, or a small `d`, takes the full decomposition, O(d³)
 * (4.2 s at d = 768 in ml-matrix, hence not the default).
 */
export function topEigen(m: Float64Array, d: number, count: number): TopEigen {
  const p = Math.min(BLOCK, d);
  if (d <= 2 * BLOCK) return fullEigen(m, d, count);
  const byDiagonal = Array.from({ length: d }, (_, i) => i).sort(
    (a, b) => (m[b * d + b] as number) - (m[a * d + a] as number) || a - b,
  );
  const v = new Float64Array(p * d);
  for (const [k, i] of byDiagonal.slice(0, p).entries()) v.set(m.subarray(i * d, (i + 1) * d), k * d);
  orthonormalise(v, p, d);
  const w = new Float64Array(p * d);
  for (let step = 0; step < MAX_STEPS; step++) {
    multiply(m, v, p, d, w);
    const h = new Matrix(p, p);
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (v[a * d + j] as number) * (w[b * d + j] as number);
        h.set(a, b, s);
      }
    }
    const small = new EigenvalueDecomposition(h.add(h.transpose()).div(2), { assumeSymmetric: true });
    const ritz = ritzOrder(small, p, p, (c, a, y) => y.get(a, c));
    // Ritz vectors V·y and their images W·y (= C·V·y), largest first.
    const rv = new Float64Array(p * d);
    const rw = new Float64Array(p * d);
    for (let c = 0; c < p; c++) {
      for (let a = 0; a < p; a++) {
        const y = ritz.vectors[c * p + a] as number;
        for (let j = 0; j < d; j++) {
          rv[c * d + j] = (rv[c * d + j] as number) + y * (v[a * d + j] as number);
          rw[c * d + j] = (rw[c * d + j] as number) + y * (w[a * d + j] as number);
        }
      }
    }
    const largest = Math.abs(ritz.values[0] as number);
    let converged = true;
    for (let c = 0; c < count && converged; c++) {
      const theta = ritz.values[c] as number;
      let residual = 0;
      for (let j = 0; j < d; j++)
        residual += ((rw[c * d + j] as number) - theta * (rv[c * d + j] as number)) ** 2;
      converged = Math.sqrt(residual) <= TOLERANCE * largest;
    }
    if (converged || largest === 0) {
      return { values: ritz.values.slice(0, count), vectors: rv.slice(0, count * d) };
    }
    v.set(rw);
    orthonormalise(v, p, d);
  }
  return fullEigen(m, d, count);
}
