/**
 * The one description of a vision transformer that every converter maps its checkpoint to, and
 * that {@link buildVitGraph} turns into an ONNX graph. Architectures differ in a handful of
 * switches (prefix tokens, where the position table applies, norms, activation, MLP kind, RoPE);
 * everything else is the same pre-norm transformer block.
 */

/** MLP activations, by their PyTorch definition. */
export type Activation =
  /** exact GELU, `0.5·x·(1 + erf(x/√2))` */
  | "gelu"
  /** tanh GELU (`gelu_pytorch_tanh`, SigLIP) */
  | "gelu_tanh"
  /** `x·σ(1.702·x)` (OpenAI CLIP) */
  | "quick_gelu"
  /** `x·σ(x)` (SwiGLU gates) */
  | "silu";

/**
 * The MLP of a block: `plain` is `out(act(in(x)))`; `gated` is `out(act(gate(x)) · in(x))`
 * (DINOv2-g's SwiGLU, DINOv3-H+'s gated MLP).
 */
export type MlpKind = "plain" | "gated";

/**
 * 2D rotary position embedding on the patch tokens' queries and keys (after the projections,
 * which the q/k taps show); prefix tokens are left alone. Two variants, which differ in the patch
 * coordinates and in how a head's channels pair up.
 */
export type RopeSpec = DinoV3Rope | TimmCatRope;

/**
 * DINOv3's (transformers' `DINOv3ViTRopePositionEmbedding`): patch centres normalised to [−1, 1],
 * channel i paired with channel i + headDim/2 (`rotate_half`).
 */
export interface DinoV3Rope {
  kind: "dinov3";
  /** `rope_theta`: the base of the inverse frequencies. */
  theta: number;
}

/**
 * timm's `RotaryEmbeddingCat` as its Eva models build it (Perception Encoder): the patch in grid
 * row r, column c has coordinates `(r + gridOffset) / rows · referenceGrid[0]` and likewise for c;
 * channels pair up as neighbours (2j, 2j + 1), the first headDim/4 pairs turned by the first
 * coordinate, the rest by the second.
 */
export interface TimmCatRope {
  kind: "timm-cat";
  /** timm's `rope_temperature`: the base of the inverse frequencies. */
  theta: number;
  /** Added to the patch index (PE: 1). */
  gridOffset: number;
  /** timm's `ref_feat_shape`: coordinates are scaled from the built grid to this one. */
  referenceGrid: [rows: number, columns: number];
  /** timm's `rope_grid_indexing`: "xy" turns the first pairs by the column (PE), "ij" by the row. */
  indexing: "xy" | "ij";
}

/** What a converter states about a model; weights come separately, by {@link WeightName}. */
export interface VitSpec {
  /** Depth: the number of transformer blocks. */
  depth: number;
  hiddenSize: number;
  heads: number;
  /** Width of the MLP's hidden layer. */
  mlpSize: number;
  patchSize: number;
  /** The patch grid the graph is built for, `[rows, columns]`; the input is `grid × patchSize` pixels. */
  grid: [rows: number, columns: number];
  /** A class token first in the sequence. */
  cls: boolean;
  /** Register tokens after the class token (no position embedding). */
  registers: number;
  /**
   * The learned/fixed position table: absent (RoPE-only or none), or added to the patches and,
   * when `coversCls`, its first row to the class token. The table's own grid may differ from `grid`:
   * the converter resamples it before the graph is built.
   */
  positionTable?: { coversCls: boolean };
  rope?: RopeSpec;
  /** A LayerNorm on the embeddings before block 1 (OpenAI CLIP's `pre_layrnorm`). */
  preNorm: boolean;
  /** A LayerNorm after the last block (not part of any block output). */
  finalNorm: boolean;
  /** LayerNorm epsilon, the same for every norm of the model. */
  normEps: number;
  activation: Activation;
  mlp: MlpKind;
  /** Per-channel scales on each branch before the residual add (DINOv2, DINOv3, some timm ViTs). */
  layerScale: boolean;
}

/**
 * Canonical weight names, in PyTorch layouts (a Linear's weight is `[out, in]`). Biases a model
 * does not have are simply absent from its weights.
 *
 * - `patch.weight` `[d, 3, p, p]`, `patch.bias` `[d]`
 * - `cls` `[d]`, `registers` `[r, d]`, `position` `[rows·columns (+1 with cls), d]` on the spec's grid
 * - `pre_norm.{weight,bias}`, `norm.{weight,bias}`
 * - per block `blocks.<l>.` (l from 0): `norm1`, `q`, `k`, `v`, `proj`, `ls1`, `norm2`,
 *   `mlp_in`, `mlp_gate` (gated MLP only), `mlp_out`, `ls2`, each with `.weight`/`.bias`
 *   (layer scales: `.weight` only)
 */
export type WeightName = string;

/** A float32 tensor in row-major order. */
export interface Float32Tensor {
  dims: number[];
  data: Float32Array;
}

/** Where the graph builder reads weights from: a converter's view of a checkpoint. */
export interface WeightSource {
  /** The tensor for a canonical name, or undefined when the model has no such weight (a bias). */
  read(name: WeightName): Promise<Float32Tensor | undefined>;
}

/** The number of tokens the graph's sequence has: prefix tokens then the patches row by row. */
export function sequenceLength(spec: VitSpec): number {
  return prefixTokens(spec) + spec.grid[0] * spec.grid[1];
}

/** Class token plus registers. */
export function prefixTokens(spec: VitSpec): number {
  return (spec.cls ? 1 : 0) + spec.registers;
}
