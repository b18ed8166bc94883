import { CancelledError, InputError, UnsupportedModelError } from "../errors";
import { DEFAULT_BATCH_BUDGET_BYTES } from "../models/memory-estimate";
import { prepareAttentionModel } from "../onnx/attention-model";
import type { AttentionReduction } from "../onnx/attention-rows";
import type { TappedModel } from "../onnx/tapped-model";
import { createInferenceWorker, type InferenceWorker } from "../runtime/inference-client";
import type { ExecutionProvider, RawTensor } from "../runtime/onnx-runtime";
import { createPrefetcher, planBatches } from "./batch-plan";
import { patchGrid, sessionOptions } from "./extract-features";
import type { PixelSource } from "./pixel-source";

/** Options of {@link extractAttentionRows}. */
export interface AttentionRowsOptions {
  inputs: PixelSource;
  /** 1-based blocks; default all. Layer 0 (the embeddings) has no attention. */
  layers?: readonly number[];
  /**
   * The model's prefix tokens (CLS first, then registers; 0 without CLS). When not given, one
   * image is run through the tapped model to count them.
   */
  prefixTokens?: number;
  /** Bytes one batch's activations may take; default {@link DEFAULT_BATCH_BUDGET_BYTES}. */
  budgetBytes?: number;
  threads?: number;
  ep?: ExecutionProvider;
  signal?: AbortSignal;
  onProgress?: (progress: { done: number; total: number }) => void;
  /** Where the attention variant's graph goes; default `<seglens cache>/graphs`. */
  graphsDir?: string;
}

/** Every requested block's attention, reduced to one row per head over the patch keys. */
export interface AttentionRows {
  layers: number[];
  numImages: number;
  heads: number;
  grid: [height: number, width: number];
  prefixTokens: number;
  /** `"cls"`: the CLS query's row; `"patch-mean"`: the mean of the patch queries' rows. */
  reduction: AttentionReduction;
  /** Per layer, float32 `[images, heads, gh·gw]`, C order: softmax probabilities of the patch keys. */
  rows: Map<number, Float32Array>;
  batchSize: number;
  /** Time inside onnxruntime's run(), summed over batches. */
  inferenceMs: number;
  wallMs: number;
}

/**
 * Runs `tapped`'s attention variant (see `prepareAttentionModel`) over the images in a worker
 * thread and gathers every block's reduced attention in memory: a few floats per head and patch,
 * where the full maps would be heads × tokens² per block. The tokens/q/k/v path and its caches are
 * not involved. Throws UnsupportedModelError when the model's attention Softmax cannot be found.
 */
export async function extractAttentionRows(
  tapped: TappedModel,
  options: AttentionRowsOptions,
): Promise<AttentionRows> {
  const started = performance.now();
  const numLayers = tapped.taps.blocks.length;
  // Sorted and once each: a layer is one fetch.
  const layers = [...new Set(options.layers ?? Array.from({ length: numLayers }, (_, i) => i + 1))].sort(
    (a, b) => a - b,
  );
  const outside = layers.find((l) => !Number.isInteger(l) || l < 1 || l > numLayers);
  if (outside !== undefined) {
    throw new InputError(
      `layer ${outside} has no attention: choose blocks 1..${numLayers} (layer 0, the embeddings, has none)`,
    );
  }
  const total = options.inputs.count;
  if (total === 0) throw new InputError("no images given");
  const grid = patchGrid(tapped, options.inputs.size);
  const prefixTokens = options.prefixTokens ?? (await countPrefixTokens(tapped, options, grid));
  const model = prepareAttentionModel(tapped, {
    prefixTokens,
    ...(options.graphsDir === undefined ? {} : { cacheDir: options.graphsDir }),
  });
  const patches = grid[0] * grid[1];
  const batchSize = batchSizeFor(prefixTokens + patches, tapped.taps.hiddenSize, options.budgetBytes);
  const plan = planBatches(total, batchSize, () => false);
  const loads = createPrefetcher(plan, options.inputs);
  const fetches = layers.map((l) => model.rows[l - 1] as string);
  const rows = new Map<number, Float32Array>();
  let heads = 0;
  let inferenceMs = 0;
  const worker = await createInferenceWorker(model.path, sessionOptions(model, options));
  try {
    for (const [index, { first, count }] of plan.entries()) {
      if (options.signal?.aborted) throw new CancelledError("attention extraction cancelled");
      const result = await worker.run({ [model.inputName]: await loads.take(index) }, fetches);
      inferenceMs += result.ms;
      layers.forEach((layer, i) => {
        const raw = result.tensors[fetches[i] as string] as RawTensor;
        const [, h, p] = raw.dims as [number, number, number];
        if (p !== patches) {
          // Only a prefix count the caller gave can be wrong; one counted on the model cannot.
          throw new InputError(
            `--prefix-tokens ${prefixTokens} does not match the model: block ${layer}'s attention has ${p + prefixTokens} keys for a ${grid[0]}×${grid[1]} grid of ${patches} patches, so ${p + prefixTokens - patches} prefix tokens`,
          );
        }
        heads = h;
        const all = rows.get(layer) ?? new Float32Array(total * h * p);
        rows.set(layer, all);
        all.set(raw.data as Float32Array, first * h * p);
      });
      options.onProgress?.({ done: first + count, total });
    }
  } finally {
    await worker.dispose();
  }
  return {
    layers,
    numImages: total,
    heads,
    grid,
    prefixTokens,
    reduction: model.reduction,
    rows,
    batchSize,
    inferenceMs,
    wallMs: performance.now() - started,
  };
}

/** The prefix tokens of `tapped`: its embeddings' length on the first image, less the patches. */
async function countPrefixTokens(
  tapped: TappedModel,
  options: AttentionRowsOptions,
  grid: [number, number],
): Promise<number> {
  const worker: InferenceWorker = await createInferenceWorker(tapped.path, sessionOptions(tapped, options));
  try {
    const pixels = await options.inputs.load(0, 1);
    const { tensors } = await worker.run({ [tapped.inputName]: pixels }, [tapped.taps.embeddings]);
    const tokens = tensors[tapped.taps.embeddings]?.dims[1] ?? 0;
    const prefix = tokens - grid[0] * grid[1];
    if (prefix < 0) {
      throw new UnsupportedModelError(
        `"${tapped.sourcePath}" returned ${tokens} tokens for a ${grid[0]}×${grid[1]} patch grid`,
      );
    }
    return prefix;
  } finally {
    await worker.dispose();
  }
}

// Heads per block, estimated as hidden / 64 (ViT-S, B, L, H all have 64-wide heads).
const HEAD_WIDTH = 64;
// Activations live at once besides the attention map, in [tokens, hidden] tensors (a rough bound).
const LIVE_TENSORS = 8;

/** Images per batch (1..16) so that one block's activations fit the budget. */
function batchSizeFor(tokens: number, hidden: number, budgetBytes = DEFAULT_BATCH_BUDGET_BYTES): number {
  const heads = Math.max(1, Math.round(hidden / HEAD_WIDTH));
  const floats = heads * tokens * tokens + LIVE_TENSORS * tokens * hidden;
  return Math.max(1, Math.min(16, Math.floor(budgetBytes / (4 * floats))));
}
