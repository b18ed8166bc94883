import type { VitSpec } from "./vit-spec";

/**
 * How one architecture's checkpoint names map to the canonical names of `VitSpec`: per canonical
 * module, the source module paths that hold it (Hub checkpoints were mostly saved by transformers 4,
 * whose module paths transformers 5 renamed; both are listed), `{l}` standing for the block index.
 * The converter finds the prefix (`vit.`, `vision_model.`, …) by looking for the patch embedding.
 */
export interface NameTable {
  /** Canonical module → candidate source module paths (without `.weight`/`.bias`). */
  modules: Record<string, readonly string[]>;
  /** Canonical tensor (full name) → candidate source tensors, for the ones that are not `.weight`/`.bias` pairs. */
  tensors: Record<string, readonly string[]>;
  /** Source MLPs with gate and up fused in one Linear (`[gate; up]` along the output axis). */
  fusedGateUp?: readonly string[];
  /** Source attentions with q, k and v fused in one Linear (`[q; k; v]`, timm). */
  fusedQkv?: readonly string[];
}

/** An architecture read from a checkpoint: its spec (all but the grid) and its names. */
export interface Architecture {
  spec: Omit<VitSpec, "grid">;
  names: NameTable;
  /** The grid the checkpoint's position table was trained for (resampled to the spec's grid if needed). */
  tableGrid?: [rows: number, columns: number];
  /** Position table resampling: PyTorch bicubic, with antialiasing (DINOv2 with registers) or not. */
  tableResample: "bicubic" | "bicubic-antialias";
  /** The prefix the model's names carry in the file, when known; otherwise found from the patch embedding. */
  prefix?: string;
}
