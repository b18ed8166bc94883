/**
 * The PCA lens on one layer at two sizes: the explorer's 16 photos through ViT-S/16 (3,136 × 384)
 * and a 1,000-image ViT-B/16 set (196,000 × 768). The features are seeded synthetic rows with a
 * decaying spectrum (16 directions of variance ∝ 1/k² over small noise, on an offset), as trained
 * features have: the time does not depend on the values, except through how fast the subspace
 * iteration converges, which a flat spectrum would slow.
 */
import { type PatchRows, type PcaOptions, pcaLayer } from "../lenses/pca";
import { releasePcaSession } from "../lenses/pca-scatter-graph";
import { createRandom } from "../util/random";
import type { BenchResult } from "./bench-result";

const DIRECTIONS = 16;

function syntheticLayer(rows: number, d: number, seed: number): PatchRows {
  const random = createRandom(seed);
  const basis = Float32Array.from({ length: DIRECTIONS * d }, () => random.uniform() - 0.5);
  const data = new Float32Array(rows * d);
  const z = new Float32Array(DIRECTIONS);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < DIRECTIONS; k++) z[k] = ((random.uniform() - 0.5) * 8) / (k + 1);
    const o = r * d;
    for (let j = 0; j < d; j++) data[o + j] = 3 + 0.05 * (random.uniform() - 0.5);
    for (let k = 0; k < DIRECTIONS; k++) {
      const zk = z[k] as number;
      for (let j = 0; j < d; j++) data[o + j] = (data[o + j] as number) + zk * (basis[k * d + j] as number);
    }
  }
  return { data, dims: [rows, d] };
}

async function bestMs(repeats: number, run: () => Promise<unknown>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

/** ms per layer for each size and engine (the float64 loop only where it takes seconds, not minutes). */
export async function benchPca(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const cases: { name: string; rows: number; d: number; engines: PcaOptions["engine"][]; repeats: number }[] =
    [
      {
        name: "16 images × 196 patches × 384 (ViT-S/16)",
        rows: 16 * 196,
        d: 384,
        engines: ["js", "onnxruntime"],
        repeats: 3,
      },
      {
        name: "1000 images × 196 patches × 768 (ViT-B/16)",
        rows: 1000 * 196,
        d: 768,
        engines: ["onnxruntime"],
        repeats: 1,
      },
    ];
  try {
    for (const { name, rows, d, engines, repeats } of cases) {
      const layer = syntheticLayer(rows, d, 0);
      for (const engine of engines) {
        const ms = await bestMs(repeats, () => pcaLayer(layer, { engine }));
        results.push({ name: `PCA lens, one layer of ${name}, ${engine}`, value: ms, unit: "ms" });
      }
    }
  } finally {
    await releasePcaSession();
  }
  return results;
}
