/**
 * The PCA lens: the first three principal components of one (rep, layer)'s patch vectors, fitted
 * jointly over the whole image set, as RGB per patch (the DINOv2 picture). Everything runs on
 * flat typed arrays in float64 (the scatter matrix of a large set in onnxruntime's float32 GEMM,
 * summed in float64); the same inputs give the same bytes.
 */
import { InputError, OptionRangeError } from "../errors";
import { type PatchRows, rowMean, scatterMatrix } from "./pca-covariance";
import { topEigen } from "./pca-eigen";
import { scatterMatrixOnnx } from "./pca-scatter-graph";
import { fixSigns, type SignReference } from "./pca-signs";

export type { PatchRows } from "./pca-covariance";

/** Options of {@link pcaLayer} and {@link pcaLayers}. */
export interface PcaOptions {
  /**
   * Foreground mode: a first PCA over all patches; patches whose first component, scaled to 0..1
   * over the set, is above this threshold are the foreground; the PCA is then fitted again on them
   * alone, and the background is black. In 0..1; default: off (every patch is fitted and coloured).
   */
  foreground?: number;
  /**
   * Who sums the scatter matrix: `js`, a float64 loop (exact sums, fastest on small sets);
   * `onnxruntime`, float32 GEMMs a block at a time (15–20× faster on large sets); `auto` (default)
   * takes onnxruntime from {@link ONNX_FROM_MACS} multiply-adds (rows · d²) up.
   */
  engine?: "auto" | "js" | "onnxruntime";
}

/**
 * Where `engine: "auto"` switches to onnxruntime: about 50 ms of the float64 loop. Already at
 * 3,136 × 384 (5·10⁸) onnxruntime took 87 ms a layer against 340 ms (2 busy cores).
 */
export const ONNX_FROM_MACS = 1e8;

/** The PCA of one (rep, layer) over the image set. */
export interface PcaLayer {
  /** uint8 `[rows, 3]`: components 1, 2, 3 as red, green, blue, each min..max over the fitted patches → 0..255; background black. */
  rgb: Uint8Array;
  /** `[3, d]`: the unit principal directions, signs fixed (see `pca-signs.ts`); a zero row for a component without variance. */
  components: Float64Array;
  /** `[d]`: the mean of the fitted patches. */
  mean: Float64Array;
  /** Each component's share of the fitted patches' total variance (0 for a vanished component). */
  explainedVarianceRatio: [number, number, number];
  /** `[rows, 3]`: every patch (background too) projected on the components. */
  projections: Float64Array;
  /** `[rows]`: 1 for the patches fitted and coloured (all of them without foreground mode). */
  fitted: Uint8Array;
  /** Foreground mode: the first pass's first-component projections of every patch, `[rows, 3]` (columns 2, 3 unused by the threshold). */
  firstPass?: Float64Array;
  dims: [rows: number, dims: number];
}

// An eigenvalue at or below this share of the total variance is rounding, not a direction:
// its component is set to zero (rank-deficient or constant input). Float32 sums (onnxruntime)
// leave more rounding behind: 6e-8 of the total for a rank-2 set of 100 × 40.
const VANISHED = { float64: 1e-9, float32: 1e-6 } as const;

interface Fit {
  components: Float64Array;
  mean: Float64Array;
  ratios: [number, number, number];
  projections: Float64Array;
}

/** One PCA over the rows marked in `fitted`, every row projected, signs fixed against `reference`. */
async function fitPca(
  x: PatchRows,
  fitted: Uint8Array,
  reference: SignReference | undefined,
  engine: PcaOptions["engine"],
): Promise<Fit> {
  const [n, d] = x.dims;
  let rows: Int32Array | undefined;
  if (fitted.some((f) => f === 0)) {
    rows = new Int32Array(fitted.reduce((s, f) => s + f, 0));
    let k = 0;
    for (let r = 0; r < n; r++) if (fitted[r] === 1) rows[k++] = r;
  }
  const mean = rowMean(x, rows);
  const macs = (rows?.length ?? n) * d * d;
  const onnx = engine === "onnxruntime" || ((engine ?? "auto") === "auto" && macs >= ONNX_FROM_MACS);
  const scatter = onnx ? await scatterMatrixOnnx(x, mean, rows) : scatterMatrix(x, mean, rows);
  let trace = 0;
  for (let j = 0; j < d; j++) trace += scatter[j * d + j] as number;
  const top = topEigen(scatter, d, 3);
  const components = new Float64Array(3 * d);
  const ratios: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < Math.min(3, d); c++) {
    const value = top.values[c] as number;
    if (!(trace > 0 && value > VANISHED[onnx ? "float32" : "float64"] * trace)) continue;
    ratios[c] = value / trace;
    components.set(top.vectors.subarray(c * d, (c + 1) * d), c * d);
  }
  const projections = project(x, mean, components);
  fixSigns(components, projections, fitted, d, reference);
  return { components, mean, ratios, projections };
}

/** `[rows, 3]`: (x − mean) · component for every row. */
function project(x: PatchRows, mean: Float64Array, components: Float64Array): Float64Array {
  const [n, d] = x.dims;
  const out = new Float64Array(n * 3);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    let p0 = 0;
    let p1 = 0;
    let p2 = 0;
    for (let j = 0; j < d; j++) {
      const v = (x.data[o + j] as number) - (mean[j] as number);
      p0 += v * (components[j] as number);
      p1 += v * (components[d + j] as number);
      p2 += v * (components[2 * d + j] as number);
    }
    out[r * 3] = p0;
    out[r * 3 + 1] = p1;
    out[r * 3 + 2] = p2;
  }
  return out;
}

/** Per column `c` of `projections`, min and max over the fitted rows. */
function ranges(projections: Float64Array, fitted: Uint8Array, columns: number): [number, number][] {
  const out: [number, number][] = [];
  for (let c = 0; c < columns; c++) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < fitted.length; r++) {
      if (fitted[r] === 0) continue;
      const p = projections[r * 3 + c] as number;
      if (p < lo) lo = p;
      if (p > hi) hi = p;
    }
    out.push([lo, hi]);
  }
  return out;
}

/** Each fitted row's projections scaled min..max → 0..255; a flat component and the background are 0. */
function colours(projections: Float64Array, fitted: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(fitted.length * 3);
  ranges(projections, fitted, 3).forEach(([lo, hi], c) => {
    if (!(hi > lo)) return;
    const scale = 255 / (hi - lo);
    for (let r = 0; r < fitted.length; r++) {
      if (fitted[r] === 1) rgb[r * 3 + c] = Math.round(((projections[r * 3 + c] as number) - lo) * scale);
    }
  });
  return rgb;
}

function checkOptions(x: PatchRows, options: PcaOptions): void {
  const [n, d] = x.dims;
  if (x.data.length !== n * d) {
    throw new InputError(`PCA rows: ${x.data.length} values do not make [${n}, ${d}]`);
  }
  if (n < 2) throw new InputError(`PCA needs at least 2 patch vectors, got ${n}`);
  const threshold = options.foreground;
  if (threshold !== undefined && !(threshold >= 0 && threshold < 1)) {
    throw new OptionRangeError(
      `PCA foreground threshold "${threshold}" is out of range: expected a number in 0..1 (1 excluded)`,
    );
  }
}

/**
 * The PCA of one (rep, layer)'s patch vectors `x` (`[images · gh · gw, d]`, the rows of every
 * image of the set): mean-centred over all its patches, the first three components, their
 * projections scaled per component to 0..255 over the set. `previous` is the PCA of the layer
 * before, over the same patches: each component then keeps its direction (see `pca-signs.ts`).
 *
 * @example
 * const layer = await pcaLayer({ data, dims: [16 * 196, 384] });
 * layer.rgb; // Uint8Array [16·196, 3]
 * layer.explainedVarianceRatio; // e.g. [0.21, 0.12, 0.08]
 */
export async function pcaLayer(
  x: PatchRows,
  options: PcaOptions = {},
  previous?: PcaLayer,
): Promise<PcaLayer> {
  checkOptions(x, options);
  const [n, d] = x.dims;
  if (previous !== undefined && previous.dims[0] !== n) {
    throw new InputError(
      `PCA of consecutive layers needs the same patches: ${previous.dims[0]} rows, then ${n}`,
    );
  }
  const all = new Uint8Array(n).fill(1);
  const reference =
    previous === undefined ? undefined : { projections: previous.projections, fitted: previous.fitted };
  if (options.foreground === undefined) {
    const { components, mean, ratios, projections } = await fitPca(x, all, reference, options.engine);
    return {
      rgb: colours(projections, all),
      components,
      mean,
      explainedVarianceRatio: ratios,
      projections,
      fitted: all,
      dims: [n, d],
    };
  }
  const firstReference =
    previous?.firstPass === undefined ? undefined : { projections: previous.firstPass, fitted: all };
  const first = await fitPca(x, all, firstReference, options.engine);
  const [[lo, hi]] = ranges(first.projections, all, 1) as [[number, number]];
  const fitted = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    fitted[r] =
      hi > lo && ((first.projections[r * 3] as number) - lo) / (hi - lo) > options.foreground ? 1 : 0;
  }
  const kept = fitted.reduce((s, f) => s + f, 0);
  if (kept < 2) {
    throw new InputError(
      `PCA foreground threshold "${options.foreground}" keeps ${kept} of ${n} patches: the second PCA needs at least 2; choose a lower threshold`,
    );
  }
  const second = await fitPca(x, fitted, reference, options.engine);
  return {
    rgb: colours(second.projections, fitted),
    components: second.components,
    mean: second.mean,
    explainedVarianceRatio: second.ratios,
    projections: second.projections,
    fitted,
    firstPass: first.projections,
    dims: [n, d],
  };
}

/**
 * The PCA of every layer of one representation, in depth order (`layers[0]` the shallowest), each
 * fitted on its own, component signs chained from layer to layer so colours do not flip.
 */
export async function pcaLayers(layers: readonly PatchRows[], options: PcaOptions = {}): Promise<PcaLayer[]> {
  const out: PcaLayer[] = [];
  for (const x of layers) out.push(await pcaLayer(x, options, out.at(-1)));
  return out;
}
