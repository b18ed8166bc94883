/**
 * Resamples a position table `[rows·columns, d]` (row-major grid of d-vectors) to another grid the
 * way PyTorch's `F.interpolate(mode="bicubic", align_corners=False)` does, which is what
 * transformers' `interpolate_pos_encoding` calls: `antialias` false uses the cubic convolution
 * kernel with a = −0.75 and edge clamping; `antialias` true (DINOv2 with registers) uses PIL's
 * scaled, normalised kernel with a = −0.5. Separable: rows, then columns.
 */
export function resampleTable(
  table: Float32Array,
  from: readonly [rows: number, columns: number],
  to: readonly [rows: number, columns: number],
  dim: number,
  antialias: boolean,
): Float32Array {
  if (from[0] === to[0] && from[1] === to[1]) return table;
  const rowWeights = antialias ? antialiasWeights(from[0], to[0]) : cubicWeights(from[0], to[0]);
  const columnWeights = antialias ? antialiasWeights(from[1], to[1]) : cubicWeights(from[1], to[1]);
  // Columns first ([from rows, to columns]), then rows.
  const middle = new Float64Array(from[0] * to[1] * dim);
  for (let r = 0; r < from[0]; r++) {
    for (let c = 0; c < to[1]; c++) {
      const out = (r * to[1] + c) * dim;
      for (const [source, weight] of columnWeights[c] as Tap[]) {
        const input = (r * from[1] + source) * dim;
        for (let k = 0; k < dim; k++) middle[out + k] += weight * (table[input + k] as number);
      }
    }
  }
  const result = new Float32Array(to[0] * to[1] * dim);
  const sum = new Float64Array(dim);
  for (let r = 0; r < to[0]; r++) {
    for (let c = 0; c < to[1]; c++) {
      sum.fill(0);
      for (const [source, weight] of rowWeights[r] as Tap[]) {
        const input = (source * to[1] + c) * dim;
        for (let k = 0; k < dim; k++) sum[k] = (sum[k] as number) + weight * (middle[input + k] as number);
      }
      result.set(sum, (r * to[1] + c) * dim);
    }
  }
  return result;
}

/** One input sample and its weight. */
type Tap = [source: number, weight: number];

function cubic(x: number, a: number): number {
  const t = Math.abs(x);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

/** PyTorch's `upsample_bicubic2d` taps: four neighbours, clamped at the edges, a = −0.75. */
function cubicWeights(inSize: number, outSize: number): Tap[][] {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, i) => {
    const real = (i + 0.5) * scale - 0.5;
    const floor = Math.floor(real);
    const t = real - floor;
    return [-1, 0, 1, 2].map((offset): Tap => {
      const source = Math.min(Math.max(floor + offset, 0), inSize - 1);
      return [source, cubic(offset - t, -0.75)];
    });
  });
}

/** PyTorch's antialiased bicubic (PIL's): the kernel widened by the scale when shrinking, normalised. */
function antialiasWeights(inSize: number, outSize: number): Tap[][] {
  const scale = inSize / outSize;
  const stretch = Math.max(scale, 1);
  const support = 2 * stretch;
  return Array.from({ length: outSize }, (_, i) => {
    const center = scale * (i + 0.5);
    const first = Math.max(Math.trunc(center - support + 0.5), 0);
    const last = Math.min(Math.trunc(center + support + 0.5), inSize);
    const taps: Tap[] = [];
    let total = 0;
    for (let j = first; j < last; j++) {
      const weight = cubic((j - center + 0.5) / stretch, -0.5);
      taps.push([j, weight]);
      total += weight;
    }
    return taps.map(([j, weight]): Tap => [j, total === 0 ? 0 : weight / total]);
  });
}
