/**
 * The scatter matrix through onnxruntime: one graph centres a block of rows and multiplies it with
 * itself (`Gemm`, transA), and JS adds the blocks' float32 products into a float64 sum. MLAS's
 * multithreaded SGEMM makes this 15–20× faster than the float64 loop of `pca-covariance.ts` on
 * large sets (196,000 × 768: 4.5 s against 70 s on 2 cores); the price is float32 sums within a
 * block, about 1e-6 relative, far below what the picture or the variance ratios show.
 */
import { createGraphBuilder } from "../onnx/onnx-builder";
import { createRuntimeSession, type RuntimeSession } from "../runtime/onnx-runtime";
import type { PatchRows } from "./pca-covariance";

// Rows per run: fixed, so the float32 partial sums — and the result's bytes — never depend on
// anything but the input. 8192 × 768 float32 is 25 MB per block.
const BLOCK_ROWS = 8192;

function buildScatterGraph(): Uint8Array {
  const g = createGraphBuilder("pca-scatter");
  const x = g.input("rows", ["n", "d"]);
  const mean = g.input("mean", ["d"]);
  const [centred] = g.node("Sub", [x, mean]);
  g.node("Gemm", [centred as string, centred as string], { transA: 1 }, ["scatter"]);
  g.output("scatter", ["d", "d"]);
  return g.build(17);
}

let session: Promise<RuntimeSession> | undefined;

/** Closes the session {@link scatterMatrixOnnx} keeps open in this thread (reopened on next use). */
export async function releasePcaSession(): Promise<void> {
  const open = session;
  session = undefined;
  await (await open)?.dispose();
}

/**
 * Σ (x − μ)(x − μ)ᵀ over the rows listed in `rows` (all when undefined), `[d, d]` row-major, as
 * `scatterMatrix` gives it, summed by onnxruntime a block of rows at a time.
 */
export async function scatterMatrixOnnx(
  x: PatchRows,
  mean: Float64Array,
  rows?: Int32Array,
): Promise<Float64Array> {
  const [n, d] = x.dims;
  session ??= createRuntimeSession(buildScatterGraph(), { label: "PCA scatter graph" });
  const run = await session;
  const count = rows?.length ?? n;
  const scatter = new Float64Array(d * d);
  const mean32 = Float32Array.from(mean);
  // onnxruntime-node refuses arrays over a SharedArrayBuffer (the feature cache's, which the
  // explorer holds): such rows are copied a block at a time, like a subset of the rows.
  const copy = rows !== undefined || x.data.buffer instanceof SharedArrayBuffer;
  const buffer = copy ? new Float32Array(Math.min(BLOCK_ROWS, count) * d) : undefined;
  for (let start = 0; start < count; start += BLOCK_ROWS) {
    const b = Math.min(BLOCK_ROWS, count - start);
    let block: Float32Array;
    if (buffer === undefined) block = x.data.subarray(start * d, (start + b) * d);
    else {
      for (let r = 0; r < b; r++) {
        const o = (rows === undefined ? start + r : (rows[start + r] as number)) * d;
        buffer.set(x.data.subarray(o, o + d), r * d);
      }
      block = buffer.subarray(0, b * d);
    }
    const out = await run.run(
      {
        rows: { type: "float32", data: block, dims: [b, d] },
        mean: { type: "float32", data: mean32, dims: [d] },
      },
      ["scatter"],
    );
    const part = out.scatter?.data as Float32Array;
    for (let i = 0; i < d * d; i++) scatter[i] = (scatter[i] as number) + (part[i] as number);
  }
  // Symmetric by construction, up to the order of float32 sums: the upper triangle is taken, as the loop's.
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) scatter[i * d + j] = scatter[j * d + i] as number;
  return scatter;
}
