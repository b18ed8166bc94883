import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { extractFeatures, type PixelSource } from "../features/extract-features";
import { writeNpy } from "../features/npy";
import { decodeImage } from "../images/decode-image";
import { listImages } from "../images/list-images";
import { preprocessImage } from "../images/preprocess";
import { createPreprocessConfig } from "../images/preprocess-config";
import type { KMeansResult } from "../kmeans/kmeans";
import { createKMeansWorker, type KMeansWorker } from "../kmeans/kmeans-client";
import { prepareTappedModel } from "../onnx/tapped-model";
import type { Rep } from "../vocabulary";
import type { BenchResult } from "./bench-result";
import { ensureBenchVit, VIT_SHAPES } from "./bench-vit";
import { referencePython } from "./reference-python";

/** One benchmark number (see bench-result.ts). */
export type KMeansBenchResult = BenchResult;

/** Options of {@link benchKMeans}. */
export interface KMeansBenchOptions {
  /** Run scikit-learn on the same features when its venv exists. Default true. */
  reference?: boolean;
  /** Timed repeats of each sweep; the best counts, the slowest is reported too. Default 3. */
  repeats?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

const REPO = resolve(__dirname, "..", "..");
const K = 6;

/**
 * The two workloads the README's k-means benchmark reports: the CLI sweep over every tap of ViT-B/16,
 * and a K slider move on ViT-S/16.
 */
const JOBS = [
  {
    id: "vit-base-patch16",
    images: 32,
    reps: ["tokens", "q", "k", "v"] as Rep[],
    label: "sweep",
  },
  { id: "vit-small-patch16", images: 8, reps: ["tokens"] as Rep[], label: "slider" },
] as const;

/**
 * `count` distinct 224 × 224 inputs from the sample photos: each photo resized to 288 × 288, then
 * cropped at 7 offsets and mirrored — real-photo statistics for more images than the 5 samples.
 */
async function samplePhotoViews(count: number, size: number): Promise<PixelSource> {
  const big = 288;
  const config = createPreprocessConfig({
    resize: { mode: "exact", height: big, width: big },
    normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  });
  const files = listImages([join(REPO, "models", "samples")]);
  const photos = await Promise.all(
    files.map(async (f) => preprocessImage(await decodeImage(f), config).data),
  );
  const offsets = [0, 0.5, 1, 0.25, 0.75, 0.125, 0.875].map((t) => Math.round(t * (big - size)));
  const plane = size * size;
  const view = (i: number, out: Float32Array, at: number): void => {
    const photo = photos[i % photos.length] as Float32Array;
    const variant = Math.floor(i / photos.length);
    const dy = offsets[variant % offsets.length] as number;
    const dx = offsets[(variant * 3 + 1) % offsets.length] as number;
    const mirror = Math.floor(variant / offsets.length) % 2 === 1;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++)
          out[at + c * plane + y * size + x] = photo[
            c * big * big + (y + dy) * big + (mirror ? size - 1 - x : x) + dx
          ] as number;
  };
  return {
    count,
    size: [size, size],
    load: async (first, n) => {
      const data = new Float32Array(n * 3 * plane);
      for (let i = 0; i < n; i++) view(first + i, data, i * 3 * plane);
      return { type: "float32", data, dims: [n, 3, size, size] };
    },
  };
}

/** Patch features (prefix tokens dropped) of every layer and `reps` of a bench ViT: `[images·patches, hidden]` each. */
async function benchFeatures(job: (typeof JOBS)[number]): Promise<Map<string, Float32Array>> {
  const shape = VIT_SHAPES[job.id];
  const folder = ensureBenchVit(join(REPO, "models", "bench"), job.id);
  const tapped = prepareTappedModel(join(folder, "onnx", "model.onnx"));
  const arrays = new Map<string, Float32Array>();
  await extractFeatures(
    tapped,
    { inputs: await samplePhotoViews(job.images, shape.imageSize), reps: job.reps },
    (batch, layout) => {
      const patches = layout.grid[0] * layout.grid[1];
      const d = layout.hiddenSize;
      let array = arrays.get(batch.key);
      if (array === undefined) {
        array = new Float32Array(layout.numImages * patches * d);
        arrays.set(batch.key, array);
      }
      for (let b = 0; b < batch.dims[0]; b++) {
        const from = (b * layout.tokens + layout.prefixTokens) * d;
        array.set(batch.data.subarray(from, from + patches * d), (batch.firstImage + b) * patches * d);
      }
    },
  );
  return arrays;
}

interface Sweep {
  bestMs: number;
  slowestMs: number;
  /** One fit alone, start to result (best of repeats). */
  latencyMs: number;
  fits: Map<string, KMeansResult>;
}

/**
 * Fits every array `repeats` times through the k-means workers, as many at once as there are
 * workers (as the explorer re-fits every layer after a K change); copies, so the arrays stay usable.
 */
async function timeSweep(
  worker: KMeansWorker,
  arrays: Map<string, Float32Array>,
  d: number,
  repeats: number,
): Promise<Sweep> {
  const fits = new Map<string, KMeansResult>();
  const entries = [...arrays];
  const sweep = async (): Promise<void> => {
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let i = next++; i < entries.length; i = next++) {
        const [key, data] = entries[i] as [string, Float32Array];
        fits.set(key, await worker.fit(data, [data.length / d, d], { k: K }));
      }
    };
    await Promise.all(Array.from({ length: worker.workers }, lane));
  };
  await sweep(); // Warm-up: sessions and JIT.
  const totals: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    await sweep();
    totals.push(performance.now() - start);
  }
  const [key, data] = entries[0] as [string, Float32Array];
  let latencyMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    fits.set(key, await worker.fit(data, [data.length / d, d], { k: K }));
    latencyMs = Math.min(latencyMs, performance.now() - start);
  }
  return { bestMs: Math.min(...totals), slowestMs: Math.max(...totals), latencyMs, fits };
}

/** scikit-learn's KMeans(n_init=10) on the same arrays, when the k-means venv exists. */
function sklearnReference(
  arrays: Map<string, Float32Array>,
  d: number,
  log: (line: string) => void,
): Map<string, { ms: number; inertia: number }> | undefined {
  const python = referencePython(log);
  if (python === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "seglens-bench-kmeans-"));
  try {
    for (const [key, data] of arrays)
      writeNpy(join(dir, `${key}.npy`), { dtype: "float32", dims: [data.length / d, d], data });
    const script = join(REPO, "src", "bench", "sklearn_kmeans_reference.py");
    const run = spawnSync(python, [script, "--dir", dir, "--k", String(K)], {
      encoding: "utf8",
      maxBuffer: 1 << 22,
    });
    if (run.status !== 0) {
      log(`the scikit-learn reference failed: ${run.stderr.trim().split("\n").pop()}`);
      return undefined;
    }
    const parsed = JSON.parse(run.stdout.trim().split("\n").pop() as string) as Record<
      string,
      { ms: number; inertia: number }
    >;
    return new Map(Object.entries(parsed).map(([file, r]) => [file.replace(/\.npy$/, ""), r]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Benchmarks k-means on features of the real-size bench ViTs, extracted by seglens from views of
 * the sample photos: the 48-fit sweep of 6272 × 768 (ViT-B/16, 32 images, every layer's tokens,
 * q, k, v) and a 12-fit K-slider move of 1568 × 384 (ViT-S/16, 8 images, every layer's tokens),
 * K = 6, default options, through the k-means worker; scikit-learn's KMeans(n_init=10) on the same
 * features as the reference, with the worst inertia ratio seglens / scikit-learn.
 */
export async function benchKMeans(options: KMeansBenchOptions = {}): Promise<KMeansBenchResult[]> {
  const log = options.log ?? (() => {});
  const repeats = options.repeats ?? 3;
  const results: KMeansBenchResult[] = [];
  const worker = createKMeansWorker();
  const inertiaRatios: number[] = [];
  try {
    for (const job of JOBS) {
      log(`k-means: extracting ${job.id} features of ${job.images} images`);
      const arrays = await benchFeatures(job);
      const d = VIT_SHAPES[job.id].hiddenSize;
      const n = (arrays.values().next().value as Float32Array).length / d;
      log(`k-means: ${arrays.size} fits of ${n}×${d}, ${repeats} repeats`);
      const sweep = await timeSweep(worker, arrays, d, repeats);
      const reference = options.reference === false ? undefined : sklearnReference(arrays, d, log);
      results.push(...report(job, arrays.size, `${n}×${d}`, sweep, reference));
      if (reference !== undefined)
        for (const [key, fit] of sweep.fits)
          inertiaRatios.push(fit.inertia / (reference.get(key)?.inertia ?? Number.NaN));
    }
  } finally {
    await worker.dispose();
  }
  if (inertiaRatios.length > 0)
    results.push({
      name: `k-means inertia / scikit-learn's, worst of ${inertiaRatios.length} fits`,
      value: Math.max(...inertiaRatios),
      unit: "ratio",
    });
  return results;
}

function report(
  job: (typeof JOBS)[number],
  count: number,
  shape: string,
  sweep: Sweep,
  reference: Map<string, { ms: number; inertia: number }> | undefined,
): KMeansBenchResult[] {
  const referenceMs =
    reference === undefined ? undefined : [...reference.values()].reduce((a, r) => a + r.ms, 0);
  const withReference = (r: KMeansBenchResult, ms: number | undefined): KMeansBenchResult =>
    ms === undefined ? r : { ...r, reference: ms, ratio: ms / r.value };
  const what = `${job.id}, ${job.images} images, K=${K}`;
  const referencePerFit = referenceMs === undefined ? undefined : referenceMs / count;
  return [
    withReference(
      { name: `k-means ${shape}, one fit alone (${what})`, value: sweep.latencyMs, unit: "ms" },
      referencePerFit,
    ),
    withReference(
      {
        name: `k-means ${shape} per fit within the ${job.label} (${what})`,
        value: sweep.bestMs / count,
        unit: "ms",
      },
      referencePerFit,
    ),
    withReference(
      {
        name: `k-means ${job.label}: ${count} fits of ${shape}, total, best of repeats`,
        value: sweep.bestMs,
        unit: "ms",
      },
      referenceMs,
    ),
    {
      name: `k-means ${job.label}: ${count} fits of ${shape}, total, slowest of repeats`,
      value: sweep.slowestMs,
      unit: "ms",
    },
  ];
}
