import { UnsupportedModelError } from "../errors";
import type { Architecture } from "./architecture";
import { type ShapeIndex, timmArchitecture } from "./timm-architecture";
import type { TimmCatRope } from "./vit-spec";

/** What timm's `vit_pe_core_*` model functions set that tensor shapes cannot tell (timm's eva.py). */
interface PeCoreDefaults {
  heads: number;
  /** `ref_feat_shape`: the grid PE was trained at. */
  referenceGrid: number;
  /** `rope_grid_offset`. */
  gridOffset: number;
}

const PE_CORE: Readonly<Record<string, PeCoreDefaults>> = Object.freeze({
  vit_pe_core_tiny_patch16_384: { heads: 3, referenceGrid: 24, gridOffset: 1 },
  vit_pe_core_small_patch16_384: { heads: 6, referenceGrid: 24, gridOffset: 1 },
  vit_pe_core_base_patch16_224: { heads: 12, referenceGrid: 14, gridOffset: 1 },
  vit_pe_core_large_patch14_336: { heads: 16, referenceGrid: 24, gridOffset: 1 },
  vit_pe_core_gigantic_patch14_448: { heads: 16, referenceGrid: 32, gridOffset: 0 },
});

/**
 * `model_args` a timm config may carry that this reader follows: sizes (read from the shapes
 * anyway), the RoPE settings, and what only the pooling head or training uses.
 */
const KNOWN_MODEL_ARGS = new Set([
  "img_size",
  "patch_size",
  "embed_dim",
  "depth",
  "mlp_ratio",
  "num_heads",
  "ref_feat_shape",
  "rope_grid_offset",
  "rope_grid_indexing",
  "rope_temperature",
  "num_classes",
  "global_pool",
  "attn_pool_num_heads",
  "attn_pool_mlp_ratio",
  "dynamic_img_size",
  "drop_rate",
  "pos_drop_rate",
  "proj_drop_rate",
  "attn_drop_rate",
  "drop_path_rate",
]);

/** Whether a timm `config.json` names a Perception Encoder Core architecture. */
export function isPeCore(architecture: string): boolean {
  return architecture.startsWith("vit_pe_core_");
}

/**
 * timm's port of Perception Encoder Core (`vit_pe_core_*`, an `Eva`): a timm-style ViT (read from
 * the shapes, see `timmArchitecture`: class token, position table covering it, no patch bias, a
 * LayerNorm before the blocks, fused qkv with bias, no layer scale, a final norm and an attention
 * pooling head that no block output passes through) plus 2-D RoPE on the patch tokens' q and k
 * (timm's `RotaryEmbeddingCat`, interleaved pairs, "xy" indexing) and LayerNorm epsilon 1e-5.
 * Heads and the RoPE settings come from the architecture name, overridden by the config's
 * `model_args` as timm's `create_model` does.
 */
export function peCoreArchitecture(
  index: ShapeIndex,
  architecture: string,
  modelArgs: Record<string, unknown>,
  label: string,
): Architecture {
  const defaults = PE_CORE[architecture];
  if (defaults === undefined) {
    throw new UnsupportedModelError(
      `${label}: unknown Perception Encoder architecture "${architecture}"; seglens converts ${Object.keys(PE_CORE).join(", ")}`,
    );
  }
  const unknown = Object.keys(modelArgs).filter((key) => !KNOWN_MODEL_ARGS.has(key));
  if (unknown.length > 0) {
    throw new UnsupportedModelError(
      `${label}: config.json's model_args ${unknown.map((k) => `"${k}"`).join(", ")} change "${architecture}" in ways seglens does not convert; it follows ${[...KNOWN_MODEL_ARGS].join(", ")}`,
    );
  }
  const args = readArgs(modelArgs, defaults, label);
  const base = timmArchitecture(index, { heads: args.heads, normEps: 1e-5 }, label);
  return { ...base, spec: { ...base.spec, rope: args.rope } };
}

function readArgs(
  modelArgs: Record<string, unknown>,
  defaults: PeCoreDefaults,
  label: string,
): { heads: number; rope: TimmCatRope } {
  const number = (key: string, fallback: number) => {
    const value = modelArgs[key] ?? fallback;
    if (typeof value !== "number" || !Number.isFinite(value)) throw invalid(key, value, "a number", label);
    return value;
  };
  const reference = modelArgs.ref_feat_shape ?? defaults.referenceGrid;
  const referenceGrid = (typeof reference === "number" ? [reference, reference] : reference) as unknown;
  if (
    !Array.isArray(referenceGrid) ||
    referenceGrid.length !== 2 ||
    !referenceGrid.every((v) => Number.isInteger(v) && v > 0)
  ) {
    throw invalid("ref_feat_shape", reference, "a positive integer or [rows, columns]", label);
  }
  const indexing = modelArgs.rope_grid_indexing ?? "xy";
  if (indexing !== "xy" && indexing !== "ij")
    throw invalid("rope_grid_indexing", indexing, '"xy" or "ij"', label);
  return {
    heads: number("num_heads", defaults.heads),
    rope: {
      kind: "timm-cat",
      theta: number("rope_temperature", 10000),
      gridOffset: number("rope_grid_offset", defaults.gridOffset),
      referenceGrid: referenceGrid as [number, number],
      indexing,
    },
  };
}

function invalid(key: string, value: unknown, expected: string, label: string): UnsupportedModelError {
  return new UnsupportedModelError(
    `${label}: invalid model_args.${key} ${JSON.stringify(value)} in config.json; expected ${expected}`,
  );
}
