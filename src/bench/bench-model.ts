import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractFeatures, imagePixels, sessionOptions, tensorPixels } from "../features/extract-features";
import { collectFeatures } from "../features/feature-set";
import { createNpyFeatureSink } from "../features/npy-feature-sink";
import { listImages } from "../images/list-images";
import { preprocessConfigFromHub } from "../images/preprocess-config-from-hub";
import { prepareTappedModel } from "../onnx/tapped-model";
import { createInferenceWorker } from "../runtime/inference-client";
import type { BenchResult } from "./bench-result";
import { ensureBenchVit, VIT_SHAPES } from "./bench-vit";

/** Where the benchmark models and sample photos are. */
export interface BenchModelPlace {
  /** `models/bench`: the generated ViTs. */
  modelsDir: string;
  /** `models/samples`: photos the real pipeline decodes. */
  samplesDir: string;
}

function randomPixels(count: number, size: number): Float32Array {
  const data = new Float32Array(count * 3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 2;
  return data;
}

/** `count` paths cycling through the photos of `dir`. */
function photos(dir: string, count: number): string[] {
  const files = listImages([dir]);
  return Array.from({ length: count }, (_, i) => files[i % files.length] as string);
}

/**
 * ms per image of `id` at its training size, each the best of `repeats` after a warm-up, the three
 * kinds taking turns within each repeat so that they share whatever else the machine does: the plain
 * model (final output only); all 48 taps through seglens' extraction into memory (decoded inputs);
 * and the real pipeline — photos decoded and preprocessed, inference, every array written to .npy
 * files as `seglens features` does. Also the taps' ratio to the plain pass and the session opening.
 */
export async function benchModel(
  id: keyof typeof VIT_SHAPES,
  images: number,
  options: { threads: number; repeats: number; place: BenchModelPlace },
): Promise<BenchResult[]> {
  const { threads, repeats, place } = options;
  const folder = ensureBenchVit(place.modelsDir, id);
  const size = VIT_SHAPES[id].imageSize;
  const pixels = randomPixels(images, size);
  const dims = [images, 3, size, size] as const;
  const tapped = prepareTappedModel(join(folder, "onnx", "model.onnx"));
  const config = preprocessConfigFromHub(
    JSON.parse(readFileSync(join(folder, "preprocessor_config.json"), "utf8")) as Record<string, unknown>,
  );
  const paths = photos(place.samplesDir, images);
  const out = mkdtempSync(join(tmpdir(), "seglens-bench-"));

  const plain = await createInferenceWorker(tapped.sourcePath, { threads });
  const opened = performance.now();
  const worker = await createInferenceWorker(tapped.path, sessionOptions(tapped, { threads }));
  const openMs = performance.now() - opened;
  const feed = () => ({ pixel_values: { type: "float32" as const, data: pixels.slice(), dims: [...dims] } });
  const runPlain = () => plain.run(feed(), ["last_hidden_state"]);
  const runTaps = () => collectFeatures(tapped, { inputs: tensorPixels(pixels, dims), worker });
  const runPipeline = async () => {
    const npy = createNpyFeatureSink((key) => join(out, `${key}.npy`));
    try {
      await extractFeatures(tapped, { inputs: imagePixels(paths, config), worker }, npy.sink);
    } finally {
      npy.close();
    }
  };
  const kinds = [runPlain, runTaps, runPipeline];
  const best = kinds.map(() => Number.POSITIVE_INFINITY);
  let taps = 0;
  try {
    for (let repeat = -1; repeat < repeats; repeat++) {
      for (const [k, run] of kinds.entries()) {
        // Collect the previous run's arrays first, so peak RSS is one extraction's, not several.
        (globalThis as { gc?: () => void }).gc?.();
        const start = performance.now();
        const result = await run();
        const ms = performance.now() - start;
        if (repeat >= 0) best[k] = Math.min(best[k] as number, ms);
        if (result !== undefined && "arrays" in result) taps = result.arrays.size;
      }
    }
  } finally {
    await Promise.all([plain.dispose(), worker.dispose()]);
    rmSync(out, { recursive: true, force: true });
  }
  const [plainMs, tapsMs, pipelineMs] = best.map((ms) => ms / images) as [number, number, number];
  const depth = VIT_SHAPES[id].depth;
  return [
    { name: `${id} plain forward (no taps), ${images} images`, value: plainMs, unit: "ms/image" },
    {
      name: `${id} all ${taps} taps (tokens,q,k,v × ${depth}), ${images} images, same run`,
      value: tapsMs,
      unit: "ms/image",
    },
    { name: `${id} all ${taps} taps ÷ plain forward, same run`, value: tapsMs / plainMs, unit: "ratio" },
    {
      name: `${id} real pipeline: ${images} photos decoded, preprocessed, all ${taps} taps written to .npy`,
      value: pipelineMs,
      unit: "ms/image",
    },
    { name: `${id} opening the tapped model (session creation)`, value: openMs, unit: "ms" },
  ];
}
