import { CancelledError, InputError, isSeglensError, UnsupportedModelError } from "../errors";
import { DEFAULT_BATCH_BUDGET_BYTES } from "../models/memory-estimate";
import type { TapRef, VitTaps } from "../onnx/discover-taps";
import type { TappedModel } from "../onnx/tapped-model";
import { createInferenceWorker, type InferenceWorker } from "../runtime/inference-client";
import type { ExecutionProvider, RawTensor, RuntimeSessionOptions } from "../runtime/onnx-runtime";
import { float16ToFloat32 } from "../util/float16";
import { REPS, type Rep } from "../vocabulary";
import { createPrefetcher, planBatches } from "./batch-plan";
import type {
  Dims3,
  ExtractProgress,
  ExtractReport,
  FeatureBatch,
  FeatureLayout,
  FeatureSink,
} from "./feature-batch";
import type { FeatureJournal } from "./feature-journal";
import type { PixelSource } from "./pixel-source";
import { checkSelection, featureKey } from "./selection";

export type {
  ExtractProgress,
  ExtractReport,
  FeatureBatch,
  FeatureLayout,
  FeatureSink,
} from "./feature-batch";
export { imagePixels, type PixelSource, tensorPixels } from "./pixel-source";

/** Options of {@link extractFeatures}. */
export interface ExtractOptions {
  /** The model inputs; their order is axis 0 of every array. */
  inputs: PixelSource;
  /** 1-based blocks, 0 = embeddings (tokens only). Default: all blocks. */
  layers?: readonly number[];
  /** Default: all four. */
  reps?: readonly Rep[];
  /** Bytes the fetched outputs of one batch may take; default {@link DEFAULT_BATCH_BUDGET_BYTES}. */
  budgetBytes?: number;
  /** Reuse an open worker for this model; otherwise one is started and stopped here. */
  worker?: InferenceWorker;
  threads?: number;
  ep?: ExecutionProvider;
  signal?: AbortSignal;
  onProgress?: (progress: ExtractProgress) => void;
  /** The number of prefix tokens (CLS, registers) the caller expects; a mismatch is an InputError. */
  prefixTokens?: number;
  /**
   * Where finished images are kept (see `FeatureJournal`): images found there are read instead of
   * computed, and every computed batch is added, so a failed or interrupted run resumes.
   */
  journal?: FeatureJournal;
}

interface Fetch {
  rep: Rep;
  layer: number;
  tap: TapRef;
}

/**
 * Runs `model` over the images batch by batch in a worker thread and hands every requested
 * (representation, layer) batch to `sink` as float32. Decoding the next batch overlaps inference.
 */
export async function extractFeatures(
  model: TappedModel,
  options: ExtractOptions,
  sink: FeatureSink,
): Promise<ExtractReport> {
  const started = performance.now();
  const { taps } = model;
  const numLayers = taps.blocks.length;
  const layers = [...(options.layers ?? Array.from({ length: numLayers }, (_, i) => i + 1))];
  const reps = [...(options.reps ?? REPS)];
  if (options.inputs.count === 0) throw new InputError("no images given");
  checkSelection(layers, reps, numLayers);
  const fetches = planFetches(taps, layers, reps);
  const tensorNames = [...new Set(fetches.map((f) => f.tap.tensor))];
  const grid = patchGrid(model, options.inputs.size);
  const [height, width] = options.inputs.size;
  const patchSize = height / grid[0];
  const budget = options.budgetBytes ?? DEFAULT_BATCH_BUDGET_BYTES;
  const batchSize = batchSizeFor(fetches, grid, taps.hiddenSize, budget);

  const total = options.inputs.count;
  const keys = fetches.map((f) => featureKey(f.rep, f.layer));
  const plan = planBatches(total, batchSize, (i) => options.journal?.has(i, keys) ?? false);
  const pixelBytes = 4 * 3 * height * width;
  const loads = createPrefetcher(plan, options.inputs);
  let worker = options.worker;
  let inferenceMs = 0;
  let layout: FeatureLayout | undefined;
  const deliver = async (fetch: Fetch, first: number, array: { data: Float32Array; dims: Dims3 }) => {
    const { rep, layer } = fetch;
    const batch: FeatureBatch = { key: featureKey(rep, layer), rep, layer, firstImage: first, ...array };
    layout ??= makeLayout(batch.dims, { total, numLayers, layers, reps, grid, patchSize, height, width });
    checkPrefix(layout, options.prefixTokens);
    await sink(batch, layout);
    return batch;
  };
  let journaled = 0;
  // A batch sent to the worker: its pixels loaded, its run in flight.
  let sent: { index: number; run: ReturnType<typeof runBatch> } | undefined;
  // A batch whose pixels fail to load fails when its turn comes, after the batches before it.
  const send = async (index: number) => {
    let run: ReturnType<typeof runBatch>;
    try {
      run = runBatch(worker as InferenceWorker, model, await loads.take(index), tensorNames);
    } catch (error) {
      run = Promise.reject(error);
    }
    run.catch(() => {}); // Surfaced when awaited; avoids an unhandled rejection meanwhile.
    return { index, run };
  };
  try {
    // The worker starts while the first batches decode, unless every image is journaled: opening
    // the session takes most of a second on one core, time enough to decode a small set entirely.
    if (worker === undefined && plan.some((b) => !b.fromJournal)) {
      const opening = createInferenceWorker(model.path, sessionOptions(model, options));
      // Pixels are a small part of a batch's memory (a ViT-S/16 image: 0.6 MB in, 14 MB of taps out).
      const aheadImages = Math.max(4 * batchSize, Math.floor(budget / 4 / pixelBytes));
      await Promise.all([opening, loads.readAhead(opening, aheadImages)]);
      worker = await opening;
    }
    for (const [index, { first, count, fromJournal }] of plan.entries()) {
      if (options.signal?.aborted) throw new CancelledError("feature extraction cancelled");
      if (fromJournal) {
        journaled += count;
        const journal = options.journal as FeatureJournal;
        for (const [i, fetch] of fetches.entries())
          await deliver(fetch, first, journal.read(keys[i] as string, first, count));
      } else {
        const result = await (sent?.index === index ? sent.run : (await send(index)).run);
        // The next batch is sent before this one goes to the sink, so the worker computes while the
        // main thread writes; it waits for its pixels, which began decoding when this batch was sent.
        const next = plan.findIndex((b, i) => i > index && !b.fromJournal);
        sent = next < 0 ? undefined : await send(next);
        inferenceMs += result.ms;
        for (const fetch of fetches) {
          const batch = await deliver(fetch, first, tapData(result.tensors, fetch.tap, model.sourcePath));
          options.journal?.write(batch);
        }
      }
      options.onProgress?.({ stage: "inference", done: first + count, total, journaled });
    }
  } finally {
    if (options.worker === undefined) await worker?.dispose();
  }
  const wallMs = performance.now() - started;
  return { layout: layout as FeatureLayout, batchSize, inferenceMs, wallMs, journaledImages: journaled };
}

/**
 * The patch grid of `size` for `model`; an UnsupportedModelError when its patch size could not be
 * found, an InputError when `size` is not a multiple of it.
 */
export function patchGrid(
  model: Pick<TappedModel, "taps" | "sourcePath">,
  [height, width]: [number, number],
): [number, number] {
  const patch = model.taps.patchSize;
  if (patch === undefined) {
    throw new UnsupportedModelError(
      `"${model.sourcePath}": found no patch-embedding convolution to read the patch size from`,
    );
  }
  if (height % patch !== 0 || width % patch !== 0)
    throw new InputError(`input size ${height}×${width} is not a multiple of the patch size ${patch}`);
  return [height / patch, width / patch];
}

/** Session options for `model`'s edited graph, with the caller's threads and execution provider. */
export function sessionOptions(
  model: Pick<TappedModel, "sourcePath" | "externalDataDir">,
  options: { threads?: number; ep?: ExecutionProvider } = {},
): RuntimeSessionOptions {
  return {
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.ep === undefined ? {} : { ep: options.ep }),
    ...(model.externalDataDir === undefined ? {} : { externalDataDir: model.externalDataDir }),
    label: model.sourcePath,
  };
}

// Room for the prefix tokens in the estimate (CLS + up to 4 registers, and some slack).
const PREFIX_ALLOWANCE = 8;

/** Images per batch so that the fetched float32 outputs of one batch fit `budgetBytes` (1..64). */
function batchSizeFor(fetches: Fetch[], grid: [number, number], hidden: number, budgetBytes: number): number {
  const widths = new Map(fetches.map((f) => [f.tap.tensor, f.tap.third === undefined ? 1 : 3]));
  let floatsPerImage = 0;
  for (const width of widths.values())
    floatsPerImage += width * (grid[0] * grid[1] + PREFIX_ALLOWANCE) * hidden;
  return Math.max(1, Math.min(64, Math.floor(budgetBytes / (4 * floatsPerImage))));
}

function planFetches(taps: VitTaps, layers: number[], reps: Rep[]): Fetch[] {
  const fetches: Fetch[] = [];
  for (const rep of reps) {
    for (const layer of layers) {
      if (layer === 0) {
        if (rep === "tokens") fetches.push({ rep, layer, tap: { tensor: taps.embeddings } });
        continue;
      }
      const block = taps.blocks[layer - 1];
      if (block === undefined)
        throw new InputError(`layer ${layer} is out of range: the model has layers 0..${taps.blocks.length}`);
      fetches.push({ rep, layer, tap: rep === "tokens" ? { tensor: block.tokens } : block[rep] });
    }
  }
  return fetches;
}

/** A tap's values as float32 `[b, tokens, hidden]`: float16 widened, fused qkv cut to its third. */
function tapData(
  tensors: Record<string, RawTensor>,
  tap: TapRef,
  label: string,
): { data: Float32Array; dims: [number, number, number] } {
  const raw = tensors[tap.tensor];
  if (raw === undefined)
    throw new UnsupportedModelError(`"${label}": onnxruntime returned no "${tap.tensor}"`);
  if (raw.dims.length !== 3) {
    throw new UnsupportedModelError(
      `"${label}": tap "${tap.tensor}" has shape [${raw.dims}], expected [batch, tokens, features]`,
    );
  }
  const values =
    raw.type === "float32"
      ? (raw.data as Float32Array)
      : raw.type === "float16"
        ? float16ToFloat32(raw.data as Uint16Array)
        : undefined;
  if (values === undefined)
    throw new UnsupportedModelError(`"${label}": tap "${tap.tensor}" is ${raw.type}, not a float`);
  const [b, t, width] = raw.dims as [number, number, number];
  if (tap.third === undefined) return { data: values, dims: [b, t, width] };
  const d = width / 3;
  const out = new Float32Array(b * t * d);
  for (let row = 0; row < b * t; row++) {
    const from = row * width + tap.third * d;
    out.set(values.subarray(from, from + d), row * d);
  }
  return { data: out, dims: [b, t, d] };
}

/** One batch through the worker; an onnxruntime failure becomes an error that names the model and input. */
async function runBatch(
  worker: InferenceWorker,
  model: TappedModel,
  pixels: RawTensor,
  fetches: string[],
): Promise<{ tensors: Record<string, RawTensor>; ms: number }> {
  try {
    return await worker.run({ [model.inputName]: pixels }, fetches);
  } catch (cause) {
    if (isSeglensError(cause)) throw cause;
    const [, , height, width] = pixels.dims;
    const reason = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    const likely = /failed to allocate memory/i.test(reason ?? "")
      ? "not enough memory at this size: try a smaller --size"
      : "a model with fixed position embeddings runs only at its training size";
    throw new UnsupportedModelError(
      `onnxruntime failed to run "${model.sourcePath}" on ${height}×${width} inputs (${likely}): ${reason}`,
      { cause },
    );
  }
}

function checkPrefix(layout: FeatureLayout, expected: number | undefined): void {
  if (expected !== undefined && expected !== layout.prefixTokens) {
    throw new InputError(
      `--prefix-tokens ${expected} does not match the model: it returns ${layout.tokens} tokens for a ${layout.grid[0]}×${layout.grid[1]} grid, so ${layout.prefixTokens} prefix tokens`,
    );
  }
}

function makeLayout(
  dims: [number, number, number],
  s: {
    total: number;
    numLayers: number;
    layers: number[];
    reps: Rep[];
    grid: [number, number];
    patchSize: number;
    height: number;
    width: number;
  },
): FeatureLayout {
  const patches = s.grid[0] * s.grid[1];
  const prefixTokens = dims[1] - patches;
  if (prefixTokens < 0) {
    throw new UnsupportedModelError(
      `the model returned ${dims[1]} tokens for a ${s.grid[0]}×${s.grid[1]} patch grid`,
    );
  }
  return {
    numImages: s.total,
    numLayers: s.numLayers,
    layers: s.layers,
    reps: s.reps,
    tokens: dims[1],
    prefixTokens,
    grid: s.grid,
    patchSize: s.patchSize,
    hiddenSize: dims[2],
    inputSize: [s.height, s.width],
  };
}
