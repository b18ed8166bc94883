import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendToGraph } from "../onnx/add-outputs";
import { prepareAttentionModel } from "../onnx/attention-model";
import { attentionRowAdditions } from "../onnx/attention-rows";
import { tapTensors } from "../onnx/discover-taps";
import { parseOnnxModel } from "../onnx/onnx-graph";
import { prepareTappedModel } from "../onnx/tapped-model";
import { createInferenceWorker } from "../runtime/inference-client";
import type { BenchModelPlace } from "./bench-model";
import type { BenchResult } from "./bench-result";
import { ensureBenchVit, VIT_SHAPES } from "./bench-vit";

/**
 * What the attention lens costs on `id` at its training size, ms per image, each the best of
 * `repeats` after a warm-up, the kinds taking turns within each repeat: the tapped model fetching
 * every tap (tokens, q, k, v); one graph with the taps and every block's reduced attention,
 * fetching both; and the attention variant alone (what `extractAttentionRows` runs). Raw runs of
 * decoded inputs, without the sinks, so the numbers are the graphs' own.
 */
export async function benchAttention(
  id: keyof typeof VIT_SHAPES,
  images: number,
  options: { threads: number; repeats: number; place: BenchModelPlace },
): Promise<BenchResult[]> {
  const { threads, repeats } = options;
  const folder = ensureBenchVit(options.place.modelsDir, id);
  const { imageSize: size, depth } = VIT_SHAPES[id];
  const tapped = prepareTappedModel(join(folder, "onnx", "model.onnx"));
  const variant = prepareAttentionModel(tapped, { prefixTokens: 1 });
  const temp = mkdtempSync(join(tmpdir(), "seglens-bench-attention-"));
  const both = join(temp, "model.onnx");
  const bytes = readFileSync(tapped.path);
  const additions = attentionRowAdditions(tapped.taps, {
    prefixTokens: 1,
    opset: parseOnnxModel(bytes).opset,
    label: tapped.sourcePath,
  });
  writeFileSync(both, appendToGraph(bytes, additions));
  const pixels = new Float32Array(images * 3 * size * size).map((_, i) => Math.sin(i * 12.9898) * 2);
  const feed = () => ({
    pixel_values: { type: "float32" as const, data: pixels.slice(), dims: [images, 3, size, size] },
  });
  const taps = tapTensors(tapped.taps);
  const workers = await Promise.all(
    [tapped.path, both, variant.path].map((path) => createInferenceWorker(path, { threads })),
  );
  const fetches = [taps, [...taps, ...variant.rows], variant.rows];
  const best = workers.map(() => Number.POSITIVE_INFINITY);
  try {
    for (let repeat = -1; repeat < repeats; repeat++) {
      for (const [k, worker] of workers.entries()) {
        (globalThis as { gc?: () => void }).gc?.();
        const start = performance.now();
        await worker.run(feed(), fetches[k] as string[]);
        if (repeat >= 0) best[k] = Math.min(best[k] as number, performance.now() - start);
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.dispose()));
    rmSync(temp, { recursive: true, force: true });
  }
  const [tapsMs, bothMs, rowsMs] = best.map((ms) => ms / images) as [number, number, number];
  return [
    {
      name: `${id} tokens,q,k,v × ${depth} (tapped model), ${images} images`,
      value: tapsMs,
      unit: "ms/image",
    },
    {
      name: `${id} tokens,q,k,v and attention rows × ${depth} in one graph, ${images} images, same run`,
      value: bothMs,
      unit: "ms/image",
    },
    { name: `${id} taps with attention rows ÷ taps alone, same run`, value: bothMs / tapsMs, unit: "ratio" },
    {
      name: `${id} attention rows alone (attention variant), ${images} images`,
      value: rowsMs,
      unit: "ms/image",
    },
  ];
}
