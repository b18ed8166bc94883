import { spawnSync } from "node:child_process";
import { setMaxListeners } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createExplorerEngine } from "../explorer/explorer-engine";
import { extractFeatures, imagePixels } from "../features/extract-features";
import { writeNpy } from "../features/npy";
import { decodeImage } from "../images/decode-image";
import { encodePng } from "../images/encode-png";
import { listImages } from "../images/list-images";
import { preprocessConfigFromHub } from "../images/preprocess-config-from-hub";
import { createRgbImage, type RgbImage } from "../images/rgb-image";
import { prepareTappedModel } from "../onnx/tapped-model";
import type { BenchResult } from "./bench-result";
import { ensureBenchVit } from "./bench-vit";
import { referencePython } from "./reference-python";

const REPO = resolve(__dirname, "..", "..");
/** The explorer's realistic set: 16 photos, all on one page, all 12 layers of ViT-S/16. */
export const EXPLORER_IMAGES = 16;
/** Ten K changes from K = 6, each to a K not seen before (no cached frame can answer). */
export const K_CHANGES = [3, 8, 5, 12, 4, 7, 10, 2, 9, 11];

/** `image` changed by `variant`: 0 mirrored, 1 its central 3/4 (a crop), 2 colours rotated and dimmed. */
function varied(image: RgbImage, variant: number): RgbImage {
  const [height, width] = image.dims;
  if (variant === 1) {
    const [h, w] = [Math.round(height * 0.75), Math.round(width * 0.75)];
    const [y0, x0] = [Math.floor((height - h) / 2), Math.floor((width - w) / 2)];
    const out = createRgbImage(h, w);
    for (let y = 0; y < h; y++)
      out.data.set(
        image.data.subarray(((y0 + y) * width + x0) * 3, ((y0 + y) * width + x0 + w) * 3),
        y * w * 3,
      );
    return out;
  }
  const out = createRgbImage(height, width);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * 3;
      const to = variant === 0 ? (y * width + width - 1 - x) * 3 : from;
      for (let c = 0; c < 3; c++) {
        const value = image.data[from + (variant === 0 ? c : (c + 1) % 3)] as number;
        out.data[to + c] = variant === 0 ? value : Math.round(value * 0.8);
      }
    }
  return out;
}

/**
 * `count` photo files: the five samples, then variants of them written to `dir` (all mirrored,
 * then cropped, then colour-shifted), so every image of the set is distinct.
 */
export async function benchPhotos(dir: string, count: number): Promise<string[]> {
  const samples = listImages([join(REPO, "models", "samples")]);
  const paths = samples.slice(0, count);
  for (let i = 0; paths.length < count; i++) {
    const variant = Math.floor(i / samples.length);
    if (variant > 2)
      throw new RangeError(`benchPhotos makes at most ${4 * samples.length} photos; asked ${count}`);
    const path = join(dir, `variant-${variant}-${i % samples.length}.png`);
    writeFileSync(
      path,
      await encodePng(varied(await decodeImage(samples[i % samples.length] as string), variant)),
    );
    paths.push(path);
  }
  return paths;
}

/** Eight photo files: the five samples and three of them mirrored. */
export function eightPhotos(dir: string): Promise<string[]> {
  return benchPhotos(dir, 8);
}

/** The value below which a fraction `p` of `values` lie (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/** Median and worst of `times` as two results named `name, median of n` and `name, worst of n`. */
export function medianAndWorst(name: string, times: number[], unit = "ms"): BenchResult[] {
  return [
    { name: `${name}, median of ${times.length}`, value: percentile(times, 0.5), unit },
    { name: `${name}, worst of ${times.length}`, value: Math.max(...times), unit },
  ];
}

/**
 * scikit-learn's KMeans on the same set's patch tokens, layer by layer (what one K change asks
 * for), with its default `n_init`, `n_init=1` and `n_init=10`: total ms over the layers per setting.
 */
async function sklearnKChange(
  folder: string,
  photos: string[],
  k: number,
  log: (line: string) => void,
): Promise<Record<string, number> | undefined> {
  const python = referencePython(log);
  if (python === undefined) return undefined;
  const tapped = prepareTappedModel(join(folder, "onnx", "model.onnx"));
  const config = preprocessConfigFromHub(
    JSON.parse(readFileSync(join(folder, "preprocessor_config.json"), "utf8")) as unknown,
  );
  const dir = mkdtempSync(join(tmpdir(), "seglens-bench-sklearn-"));
  try {
    const arrays = new Map<string, { data: Float32Array; d: number }>();
    await extractFeatures(
      tapped,
      { inputs: imagePixels(photos, config), reps: ["tokens"] },
      (batch, layout) => {
        const patches = layout.grid[0] * layout.grid[1];
        const d = layout.hiddenSize;
        let array = arrays.get(batch.key);
        if (array === undefined) {
          array = { data: new Float32Array(layout.numImages * patches * d), d };
          arrays.set(batch.key, array);
        }
        for (let b = 0; b < batch.dims[0]; b++) {
          const from = (b * layout.tokens + layout.prefixTokens) * d;
          array.data.set(batch.data.subarray(from, from + patches * d), (batch.firstImage + b) * patches * d);
        }
      },
    );
    for (const [key, { data, d }] of arrays)
      writeNpy(join(dir, `${key}.npy`), { dtype: "float32", dims: [data.length / d, d], data });
    const script = join(REPO, "src", "bench", "sklearn_kmeans_reference.py");
    const totals: Record<string, number> = {};
    for (const nInit of ["default", "1", "10"]) {
      const args = [script, "--dir", dir, "--k", String(k), "--n-init", nInit];
      const run = spawnSync(python, args, { encoding: "utf8", maxBuffer: 1 << 22 });
      if (run.status !== 0) {
        log(`the scikit-learn reference failed: ${run.stderr.trim().split("\n").pop()}`);
        return undefined;
      }
      const fits = JSON.parse(run.stdout.trim().split("\n").pop() as string) as Record<
        string,
        { ms: number }
      >;
      totals[nInit] = Object.values(fits).reduce((sum, fit) => sum + fit.ms, 0);
    }
    return totals;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The explorer's kernel-side work for a K change on ViT-S/16 with 16 photos on one page, features
 * cached, as the widget asks for it: the provisional frame (12 short k-means fits on a sample,
 * alignment through depth, the uint8 frame: what a K slider move waits for, before the comm
 * message and the browser's drawing), then the refined one (12 full fits, PB/LC/BA); and scikit-learn's
 * KMeans on the same features for one K change, measured in the same run.
 */
export async function benchExplorer(options: {
  log: (line: string) => void;
  reference: boolean;
}): Promise<BenchResult[]> {
  const folder = ensureBenchVit(join(REPO, "models", "bench"), "vit-small-patch16");
  const dir = mkdtempSync(join(tmpdir(), "seglens-bench-explorer-"));
  const photos = await benchPhotos(dir, EXPLORER_IMAGES);
  // No frame cache: every K change below waits for its k-means, as one not seen before does.
  const engine = createExplorerEngine({ images: photos, frameCacheSize: 0 });
  const request = {
    models: [folder],
    k: 6,
    rep: "tokens" as const,
    layerRange: undefined,
    normalize: "l2" as const,
    pageSize: EXPLORER_IMAGES,
  };
  const set = `ViT-S/16, ${EXPLORER_IMAGES} photos, 12 layers`;
  try {
    const signal = new AbortController().signal;
    setMaxListeners(256, signal); // every fit of a frame listens to it at once
    const first = performance.now();
    await engine.compute({ ...request, provisional: true }, signal, () => {});
    const firstFrame = performance.now() - first;
    // As the widget asks: the quick frame a K change shows at once, then the refined one at rest.
    const quick: number[] = [];
    const times: number[] = [];
    for (const k of K_CHANGES) {
      let start = performance.now();
      await engine.compute({ ...request, k, provisional: true }, signal, () => {});
      quick.push(performance.now() - start);
      start = performance.now();
      await engine.compute({ ...request, k }, signal, () => {});
      times.push(performance.now() - start);
    }
    const results: BenchResult[] = [
      { name: `explorer first frame (provisional), ${set} (cold features)`, value: firstFrame, unit: "ms" },
      ...medianAndWorst(`explorer K change → refined frame, kernel side, ${set}`, times),
      ...medianAndWorst(`explorer K change → provisional frame, kernel side, ${set}`, quick),
    ];
    const sklearn = options.reference ? await sklearnKChange(folder, photos, 6, options.log) : undefined;
    if (sklearn !== undefined) {
      const median = results[1] as BenchResult;
      Object.assign(median, {
        reference: sklearn.default,
        ratio: (sklearn.default as number) / median.value,
      });
      for (const [nInit, ms] of Object.entries(sklearn)) {
        const setting = nInit === "default" ? 'its default n_init="auto"' : `n_init=${nInit}`;
        results.push({
          name: `scikit-learn KMeans(${setting}) on the same 12 layers' patch tokens, one K change`,
          value: ms,
          unit: "ms",
        });
      }
    }
    return results;
  } finally {
    await engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
