/**
 * How the catalog says a model without a ready ONNX export is converted (`convert` in
 * models/catalog.json): where its source checkpoint is and how its names are laid out.
 */
export type ConversionRecipe = HubRecipe | UrlRecipe | FileRecipe;

interface RecipeCommon {
  /** Name layout of the checkpoint: transformers (`config.json` says the architecture) or timm. */
  layout: "transformers" | "timm";
  /** timm layout: the prefix of the ViT's names in the file, e.g. `state_dict/module.base_encoder.`. */
  prefix?: string;
  /** timm layout: attention heads (shapes cannot tell; default width / 64). */
  heads?: number;
  /** timm layout: LayerNorm epsilon (default 1e-6). */
  norm_eps?: number;
  /**
   * `preprocessor_config.json` to write beside the converted model, for sources without one
   * (research checkpoints): the evaluation transform of the model's paper.
   */
  preprocessor?: Record<string, unknown>;
  /** False when the recipe could not be checked against the real checkpoint. */
  verified: boolean;
}

/** A transformers or timm checkpoint in a Hub repo. */
export interface HubRecipe extends RecipeCommon {
  from: "hub";
  repo: string;
  /** Branch, tag or commit; default `main`. */
  revision?: string;
  /** The weights file in the repo when it is not one of the usual names (a research `.pth`). */
  file?: string;
  /** Models whose repos need accepting a licence first (DINOv3): the message says how. */
  gated?: boolean;
}

/** A research checkpoint at a fixed URL (a PyTorch `.pth`), pinned by its sha256 when known. */
export interface UrlRecipe extends RecipeCommon {
  from: "url";
  url: string;
  /** The file's sha256 (hex); null when it could not be checked, in which case the first download is trusted and recorded. */
  sha256: string | null;
}

/** A checkpoint only shared by drive links: the user downloads it and passes `--checkpoint PATH`. */
export interface FileRecipe extends RecipeCommon {
  from: "file";
  /** Where to get it, for the message that asks for it. */
  where: string;
}
