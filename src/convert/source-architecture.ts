import { UnsupportedModelError } from "../errors";
import type { Architecture } from "./architecture";
import { isPeCore, peCoreArchitecture } from "./pe-core-architecture";
import { type ShapeIndex, type TimmOptions, timmArchitecture } from "./timm-architecture";
import { transformersArchitecture } from "./transformers-architectures";

/**
 * timm architectures whose position encoding the tensors do not show (rotary embeddings are
 * computed, not stored): read as plain ViTs they would convert without error and compute wrong
 * features, so only the ones seglens knows (Perception Encoder Core) are converted.
 */
const HIDDEN_ROPE = /^eva|^vit_pe_|rope|dinov3/;

/**
 * The architecture of a source checkpoint: from `config.json` for the transformers layout; for the
 * timm layout from the tensor shapes, plus what timm's `config.json` names (its `architecture`
 * and `model_args`) where shapes cannot tell, as for Perception Encoder's RoPE. Research `.pth`
 * files come without a config (`config` undefined).
 */
export function sourceArchitecture(
  layout: "transformers" | "timm",
  checkpoint: ShapeIndex,
  config: unknown,
  options: TimmOptions,
  label: string,
): Architecture {
  if (layout === "transformers") return transformersArchitecture(config, label);
  const { architecture, modelArgs } = timmConfig(config);
  if (architecture !== undefined && isPeCore(architecture)) {
    return peCoreArchitecture(checkpoint, architecture, modelArgs, label);
  }
  if (architecture !== undefined && HIDDEN_ROPE.test(architecture)) {
    throw new UnsupportedModelError(
      `${label}: timm architecture "${architecture}" uses rotary position embeddings, which seglens converts only for Perception Encoder Core (vit_pe_core_*)`,
    );
  }
  return timmArchitecture(checkpoint, options, label);
}

/** `architecture` and `model_args` of a timm `config.json` (as `save_for_hf` writes it), when there. */
function timmConfig(config: unknown): { architecture?: string; modelArgs: Record<string, unknown> } {
  if (typeof config !== "object" || config === null) return { modelArgs: {} };
  const { architecture, model_args: modelArgs } = config as Record<string, unknown>;
  return {
    ...(typeof architecture === "string" ? { architecture } : {}),
    modelArgs:
      typeof modelArgs === "object" && modelArgs !== null && !Array.isArray(modelArgs)
        ? (modelArgs as Record<string, unknown>)
        : {},
  };
}
