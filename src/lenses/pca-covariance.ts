/**
 * The scatter matrix of the centred patch vectors, Σ (x − μ)(x − μ)ᵀ over the chosen rows, in
 * float64. Centring happens block by block before the products, never as XᵀX − n·μμᵀ afterwards:
 * transformer features carry large shared offsets (massive activations), and subtracting two big
 * sums would cancel away the variance we are after.
 */

/** Rows `[rows, dims]` of float32 patch vectors (one (rep, layer) over the whole image set). */
export interface PatchRows {
  data: Float32Array;
  dims: readonly [rows: number, dims: number];
}

// Rows per block: the transposed float64 block (d × 64 × 8 bytes, 384 kB at d = 768) stays in cache.
const BLOCK = 64;

/** The mean of the rows listed in `rows` (all rows when undefined), in float64. */
export function rowMean(x: PatchRows, rows?: Int32Array): Float64Array {
  const [n, d] = x.dims;
  const mean = new Float64Array(d);
  const count = rows?.length ?? n;
  for (let i = 0; i < count; i++) {
    const o = (rows === undefined ? i : (rows[i] as number)) * d;
    for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (x.data[o + j] as number);
  }
  for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) / count;
  return mean;
}

/**
 * The upper triangle and diagonal of Σ (x − μ)(x − μ)ᵀ, `[d, d]` row-major (the lower triangle is
 * mirrored at the end). Blocks of rows are centred into a transposed float64 block, so each
 * output entry is a dot product of two contiguous columns; two by two output entries share their
 * loads.
 */
export function scatterMatrix(x: PatchRows, mean: Float64Array, rows?: Int32Array): Float64Array {
  const [n, d] = x.dims;
  const count = rows?.length ?? n;
  const scatter = new Float64Array(d * d);
  const block = new Float64Array(d * BLOCK);
  for (let start = 0; start < count; start += BLOCK) {
    const b = Math.min(BLOCK, count - start);
    for (let r = 0; r < b; r++) {
      const o = (rows === undefined ? start + r : (rows[start + r] as number)) * d;
      for (let j = 0; j < d; j++) block[j * BLOCK + r] = (x.data[o + j] as number) - (mean[j] as number);
    }
    accumulateBlock(block, b, d, scatter);
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) scatter[i * d + j] = scatter[j * d + i] as number;
  return scatter;
}

/** Adds the products of the `b` columns of the transposed block into the upper triangle. */
function accumulateBlock(block: Float64Array, b: number, d: number, scatter: Float64Array): void {
  for (let i = 0; i < d; i += 2) {
    const a0 = i * BLOCK;
    const a1 = Math.min(i + 1, d - 1) * BLOCK;
    for (let j = i; j < d; j += 2) {
      const c0 = j * BLOCK;
      const c1 = Math.min(j + 1, d - 1) * BLOCK;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let r = 0; r < b; r++) {
        const u0 = block[a0 + r] as number;
        const u1 = block[a1 + r] as number;
        const v0 = block[c0 + r] as number;
        const v1 = block[c1 + r] as number;
        s00 += u0 * v0;
        s01 += u0 * v1;
        s10 += u1 * v0;
        s11 += u1 * v1;
      }
      scatter[i * d + j] = (scatter[i * d + j] as number) + s00;
      if (j + 1 < d) scatter[i * d + j + 1] = (scatter[i * d + j + 1] as number) + s01;
      if (i + 1 < d && j + 1 > i + 1) scatter[(i + 1) * d + j] = (scatter[(i + 1) * d + j] as number) + s10;
      if (i + 1 < d && j + 1 < d)
        scatter[(i + 1) * d + j + 1] = (scatter[(i + 1) * d + j + 1] as number) + s11;
    }
  }
}
