import { totalmem } from "node:os";
import { InputError } from "../errors";
import { byteSizeOf } from "../util/byte-size";

/** What a run's memory depends on: the weights and, when known, the activations of one image. */
export interface RunSize {
  /** Bytes of the weights as stored in the chosen ONNX variant. */
  weightBytes: number;
  /** Transformer blocks. */
  layers?: number;
  hiddenSize?: number;
  /** Sequence length (prefix tokens + patches) at the input size used. */
  tokens?: number;
}

/** Node, onnxruntime's arenas and batches of fetched outputs in flight: a rough allowance. */
export const RUNTIME_BASE_BYTES = 512 * 1024 ** 2;

/** Node and onnxruntime without any batch: the part of {@link RUNTIME_BASE_BYTES} a plan cannot shrink. */
const RUNTIME_WITHOUT_BATCH_BYTES = 256 * 1024 ** 2;

/**
 * Bytes the fetched float32 outputs of one inference batch may take when memory is not short.
 * Batches past 4–8 images are no faster on CPU, and each batch's outputs exist several times over
 * (onnxruntime's arena, the worker's copy, the main thread's until collected; and the next batch's
 * are made while the main thread hands the current one on): with every layer
 * and representation of a ViT-S/16 (4 images a batch), 100 images peaked at 0.63 GB and took
 * 12–17 s, against 1.63 GB and 31 s at 256 MiB.
 */
export const DEFAULT_BATCH_BUDGET_BYTES = 64 * 1024 ** 2;

/** Bytes of feature matrices the in-memory feature cache keeps when memory is not short; larger sets go to disk. */
export const DEFAULT_CACHE_BUDGET_BYTES = 512 * 1024 ** 2;

/** Bytes per parameter of each ONNX variant (quantized ones keep some float tensors; rounded up). */
const BYTES_PER_PARAMETER: Readonly<Record<string, number>> = Object.freeze({
  fp32: 4,
  fp16: 2,
  q8: 1,
  int8: 1,
  uint8: 1,
  q4: 0.5,
  q4f16: 0.5,
  bnb4: 0.5,
});

/** Bytes per parameter of `variant` (default fp32). */
export function bytesPerParameter(variant = "fp32"): number {
  return BYTES_PER_PARAMETER[variant] ?? 4;
}

/**
 * Estimated peak memory of a `features` run on one image, in bytes: twice the weights (onnxruntime
 * holds the parsed model and its initializers while the session is created), every tap of every
 * block in float32 (tokens, q, k, v: 4·L·T·D values) plus the block's transient tensors (~8·T·D and
 * two H·T² attention maps, H = D/64), and {@link RUNTIME_BASE_BYTES}. Rough by design: it exists to
 * refuse hopeless runs before a download, not to plan batches.
 *
 * @example
 * // DINOv2 ViT-L/14 at 224 px in fp32: ~2.8 GB
 * estimateRunBytes({ weightBytes: 304e6 * 4, layers: 24, hiddenSize: 1024, tokens: 257 });
 */
export function estimateRunBytes(size: RunSize): number {
  const { layers = 0, hiddenSize = 0, tokens = 0 } = size;
  const heads = Math.max(1, Math.round(hiddenSize / 64));
  const activations = 4 * (tokens * hiddenSize * (4 * layers + 8) + 2 * heads * tokens * tokens);
  return 2 * size.weightBytes + activations + RUNTIME_BASE_BYTES;
}

/**
 * The memory a run may use: `SEGLENS_MEMORY_LIMIT` (bytes, or a number with K, M, G or T; `off`
 * disables the check: undefined) or else the machine's total memory.
 */
export function memoryLimitBytes(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env.SEGLENS_MEMORY_LIMIT?.trim();
  if (value === undefined || value === "") return totalmem();
  return parseMemorySize(value, "SEGLENS_MEMORY_LIMIT");
}

/**
 * A memory size as `SEGLENS_MEMORY_LIMIT` and `--max-memory` write it: bytes, or a number with K,
 * M, G or T (powers of 1024; `16G`, `512MiB`, `1.5GB`); `off`, `none` or `0`: no limit (undefined).
 * A number is bytes. `what` names the input in the message (`--max-memory`, `maxMemory`).
 */
export function parseMemorySize(value: string | number, what: string): number | undefined {
  if (typeof value === "number") {
    if (value === 0) return undefined;
    if (Number.isFinite(value) && value > 0) return value;
  } else {
    const text = value.trim();
    if (/^(off|none|0)$/i.test(text)) return undefined;
    const bytes = byteSizeOf(text);
    if (bytes !== undefined) return bytes;
  }
  throw new InputError(
    `invalid ${what} "${value}": expected bytes or a size like 16G, or "off" to skip the check`,
  );
}

/**
 * Throws an `InputError` when `estimateRunBytes(size)` exceeds `limitBytes` (no check when it is
 * undefined). `what` names the model and its variant in the message, e.g. `"dinov3-vit7b16" (fp32)`.
 */
export function checkMemory(what: string, size: RunSize, limitBytes: number | undefined): void {
  if (limitBytes === undefined) return;
  const needed = estimateRunBytes(size);
  if (needed <= limitBytes) return;
  throw new InputError(
    `model ${what} needs about ${gigabytes(needed)} of memory to run but ${gigabytes(limitBytes)} are available: ` +
      "pick a smaller --variant (fp16, q8) or a smaller model, or pass --max-memory off (SEGLENS_MEMORY_LIMIT=off) to try anyway",
  );
}

function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

/** What a run plans its memory from: {@link RunSize} with every field known, and what it fetches. */
export interface PlanSize extends Required<RunSize> {
  /** (representation, layer) arrays fetched per image, each `tokens × hiddenSize` float32. */
  fetches: number;
}

/** Options of {@link planMemory}. */
export interface PlanOptions {
  /** The limit, bytes; undefined: none (the budgets are their defaults). */
  limitBytes: number | undefined;
  /** Where the limit came from, for the message: `--max-memory "1G"`, `SEGLENS_MEMORY_LIMIT "1G"`. */
  limitSource?: string;
  /** The model and its variant, for the message: `"dinov2-small" (fp32)`. */
  what: string;
}

/** How a run spends its memory: the budgets extraction and the feature cache keep to. */
export interface MemoryPlan {
  limitBytes: number | undefined;
  /** Estimated peak with one image per batch and an empty cache: what the run needs at least. */
  minimumBytes: number;
  /** Bytes the fetched outputs of one batch may take (at least one image's, at most the default). */
  batchBudgetBytes: number;
  /** Bytes of feature matrices the in-memory feature cache may keep (0: only the latest). */
  cacheBudgetBytes: number;
}

/**
 * Plans a run's memory under `limitBytes`, or refuses it with an `InputError` (before any
 * inference) when even one image per batch cannot fit. The minimum is twice the weights, one
 * image's fetched arrays plus the block's transient tensors and attention maps, and the runtime
 * without its batch (256 MiB). Of what the
 * limit leaves above it, half may go to larger batches (each further image costs its fetched and
 * transient tensors) and the rest to the feature cache; neither budget exceeds its default, so a
 * generous limit runs exactly as no limit does. Rough by design, like {@link estimateRunBytes}.
 *
 * @example
 * // ViT-S/16 at 224 px, all 12 layers × 4 representations, under 600 MB: needs 463 MB;
 * // batches of 4 images (58 MB of outputs), 80 MB of cache
 * planMemory({ weightBytes: 88e6, layers: 12, hiddenSize: 384, tokens: 197, fetches: 48 },
 *   { limitBytes: 600e6, what: '"dino-vits16"' });
 */
export function planMemory(size: PlanSize, options: PlanOptions): MemoryPlan {
  const { limitBytes } = options;
  const { hiddenSize, tokens, fetches } = size;
  const heads = Math.max(1, Math.round(hiddenSize / 64));
  const fetchedPerImage = 4 * tokens * hiddenSize * fetches;
  const perImage = fetchedPerImage + 4 * (8 * tokens * hiddenSize + 2 * heads * tokens * tokens);
  const minimumBytes = 2 * size.weightBytes + perImage + RUNTIME_WITHOUT_BATCH_BYTES;
  const plan = { limitBytes, minimumBytes };
  if (limitBytes === undefined) {
    return {
      ...plan,
      batchBudgetBytes: DEFAULT_BATCH_BUDGET_BYTES,
      cacheBudgetBytes: DEFAULT_CACHE_BUDGET_BYTES,
    };
  }
  if (minimumBytes > limitBytes) {
    const source = options.limitSource === undefined ? "" : ` (${options.limitSource})`;
    throw new InputError(
      `model ${options.what} needs about ${megabytes(minimumBytes)} of memory with one image per batch but the limit is ${megabytes(limitBytes)}${source}: ` +
        "raise --max-memory, or pick a smaller --variant (fp16, q8), --size, model or fewer --layers/--reps",
    );
  }
  const headroom = limitBytes - minimumBytes;
  const extraImages = Math.floor(headroom / 2 / perImage);
  const batchBudgetBytes = Math.max(
    fetchedPerImage,
    Math.min(DEFAULT_BATCH_BUDGET_BYTES, (1 + extraImages) * fetchedPerImage),
  );
  const batchImages = Math.max(1, Math.floor(batchBudgetBytes / fetchedPerImage));
  const cacheBudgetBytes = Math.min(DEFAULT_CACHE_BUDGET_BYTES, headroom - (batchImages - 1) * perImage);
  return { ...plan, batchBudgetBytes, cacheBudgetBytes };
}

/** `870 MB` below 10 GB, `54.8 GB` above. */
function megabytes(bytes: number): string {
  return bytes < 10e9 ? `${Math.round(bytes / 1e6)} MB` : gigabytes(bytes);
}
