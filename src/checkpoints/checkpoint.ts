/** Element types a checkpoint tensor may have; only the floating-point ones can be read as weights. */
export type CheckpointDtype =
  | "float64"
  | "float32"
  | "float16"
  | "bfloat16"
  | "float8_e4m3"
  | "float8_e5m2"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint64"
  | "uint32"
  | "uint16"
  | "uint8"
  | "bool";

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<CheckpointDtype, number>> = Object.freeze({
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float8_e4m3: 1,
  float8_e5m2: 1,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint64: 8,
  uint32: 4,
  uint16: 2,
  uint8: 1,
  bool: 1,
});

/** The dtypes `Checkpoint.read` converts to float32. */
export const WEIGHT_DTYPES: readonly CheckpointDtype[] = Object.freeze([
  "float64",
  "float32",
  "float16",
  "bfloat16",
]);

/** What a checkpoint says about one tensor without reading it. */
export interface TensorInfo {
  dtype: CheckpointDtype;
  /** Shape, outermost first; `[]` for a scalar. */
  dims: number[];
}

/** A tensor read as float32, flat in C order. */
export interface CheckpointTensor {
  dims: number[];
  data: Float32Array;
}

/**
 * An open weights file (or set of shards): tensors are listed from its header and read one at a
 * time from disk on request, so a multi-GB checkpoint never sits in memory whole.
 *
 * @example
 * const checkpoint = await openCheckpoint("vit-base/model.safetensors");
 * try {
 *   checkpoint.info("embeddings.patch_embeddings.projection.weight"); // { dtype: "float32", dims: [768, 3, 16, 16] }
 *   const { dims, data } = await checkpoint.read("embeddings.patch_embeddings.projection.weight");
 * } finally {
 *   await checkpoint.close();
 * }
 */
export interface Checkpoint {
  /** The file that was opened (the index file for sharded safetensors). */
  readonly path: string;
  readonly format: "safetensors" | "torch";
  /**
   * Free-form facts stored beside the weights: a safetensors file's `__metadata__` strings; for a
   * torch file, the pickled object with its tensors left out (`epoch`, `args`, …; objects of
   * classes seglens does not rebuild appear as `{ __class__: "argparse.Namespace", …their state }`).
   */
  readonly metadata: Readonly<Record<string, unknown>>;
  /**
   * Tensor names in file order. Tensors inside nested dicts (torch files) are named by their
   * path, components joined with "/": `state_dict/module.blocks.0.norm1.weight`.
   */
  keys(): string[];
  /** Dtype and shape of `key`; throws InputError for an unknown key. */
  info(key: string): TensorInfo;
  /** Reads `key` from disk as float32; UnsupportedModelError for non-floating-point dtypes. */
  read(key: string): Promise<CheckpointTensor>;
  /** Closes the file(s); reads after this fail. */
  close(): Promise<void>;
}

/** The number of elements of `dims` (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, d) => product * d, 1);
}
