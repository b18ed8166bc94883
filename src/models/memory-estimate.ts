import { totalmem } from "node:os";
import { InputError } from "../errors";

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

/** Node, onnxruntime's arenas and one batch of fetched outputs (the batch budget is 64 MiB). */
export const RUNTIME_BASE_BYTES = 512 * 1024 ** 2;

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
  if (/^(off|none|0)$/i.test(value)) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(value);
  if (match === null) {
    throw new InputError(
      `invalid SEGLENS_MEMORY_LIMIT "${value}"; expected bytes or a size like 16G, or "off" to skip the check`,
    );
  }
  const power = " KMGT".indexOf((match[2] ?? "").toUpperCase() || " ");
  return Number(match[1]) * 1024 ** power;
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
      "pick a smaller --variant (fp16, q8) or a smaller model, or set SEGLENS_MEMORY_LIMIT=off to try anyway",
  );
}

function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}
