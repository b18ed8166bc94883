import { UnsupportedModelError } from "../errors";
import type { Architecture } from "./architecture";
import type { Activation } from "./vit-spec";

const ACTIVATIONS: Record<string, Activation> = {
  gelu: "gelu",
  gelu_pytorch_tanh: "gelu_tanh",
  gelu_new: "gelu_tanh",
  quick_gelu: "quick_gelu",
  silu: "silu",
  swish: "silu",
};

type Config = Record<string, unknown>;

function numberField(config: Config, key: string, fallback?: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new UnsupportedModelError(`config.json: "${key}" must be a number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function squareField(config: Config, key: string, fallback?: number): number {
  const value = config[key] ?? fallback;
  if (Array.isArray(value) && value.length === 2 && value[0] === value[1])
    return numberField({ v: value[0] }, "v");
  return numberField(config, key, fallback);
}

function activationOf(config: Config, fallback: string): Activation {
  const name = String(config.hidden_act ?? fallback);
  const activation = ACTIVATIONS[name];
  if (activation === undefined) {
    throw new UnsupportedModelError(
      `config.json: hidden_act "${name}" is not supported; supported: ${Object.keys(ACTIVATIONS).join(", ")}`,
    );
  }
  return activation;
}

function common(config: Config) {
  return {
    depth: numberField(config, "num_hidden_layers"),
    hiddenSize: numberField(config, "hidden_size"),
    heads: numberField(config, "num_attention_heads"),
    patchSize: squareField(config, "patch_size"),
  };
}

function tableGridOf(config: Config, patchSize: number): [number, number] {
  const side = squareField(config, "image_size") / patchSize;
  return [side, side];
}

/** transformers 4 ViT-family block names (ViT, ViTMAE, I-JEPA, DINOv2) and the transformers 5 renames. */
const VIT_BLOCK = {
  norm1: ["encoder.layer.{l}.layernorm_before", "layers.{l}.layernorm_before", "encoder.layer.{l}.norm1"],
  q: ["encoder.layer.{l}.attention.attention.query", "layers.{l}.attention.q_proj"],
  k: ["encoder.layer.{l}.attention.attention.key", "layers.{l}.attention.k_proj"],
  v: ["encoder.layer.{l}.attention.attention.value", "layers.{l}.attention.v_proj"],
  proj: ["encoder.layer.{l}.attention.output.dense", "layers.{l}.attention.o_proj"],
  norm2: ["encoder.layer.{l}.layernorm_after", "layers.{l}.layernorm_after", "encoder.layer.{l}.norm2"],
  mlp_in: ["encoder.layer.{l}.intermediate.dense", "layers.{l}.mlp.fc1", "encoder.layer.{l}.mlp.fc1"],
  mlp_out: ["encoder.layer.{l}.output.dense", "layers.{l}.mlp.fc2", "encoder.layer.{l}.mlp.fc2"],
};

const VIT_EMBEDDINGS = {
  patch: ["embeddings.patch_embeddings.projection"],
  norm: ["layernorm"],
};

const VIT_TENSORS = {
  cls: ["embeddings.cls_token"],
  position: ["embeddings.position_embeddings"],
};

function vitLike(config: Config, options: { cls: boolean }): Architecture {
  const base = common(config);
  return {
    spec: {
      ...base,
      mlpSize: numberField(config, "intermediate_size"),
      cls: options.cls,
      registers: 0,
      positionTable: { coversCls: options.cls },
      preNorm: false,
      finalNorm: true,
      normEps: numberField(config, "layer_norm_eps", 1e-12),
      activation: activationOf(config, "gelu"),
      mlp: "plain",
      layerScale: false,
    },
    names: { modules: { ...VIT_EMBEDDINGS, ...VIT_BLOCK }, tensors: VIT_TENSORS },
    tableGrid: tableGridOf(config, base.patchSize),
    tableResample: "bicubic",
  };
}

function dinov2(config: Config, registers: boolean): Architecture {
  const base = common(config);
  const swiglu = config.use_swiglu_ffn === true;
  const plainWidth = Math.trunc(base.hiddenSize * numberField(config, "mlp_ratio", 4));
  const mlpSize = swiglu ? Math.floor((Math.trunc((plainWidth * 2) / 3) + 7) / 8) * 8 : plainWidth;
  const block = {
    norm1: ["encoder.layer.{l}.norm1", "layer.{l}.norm1"],
    q: VIT_BLOCK.q,
    k: VIT_BLOCK.k,
    v: VIT_BLOCK.v,
    proj: VIT_BLOCK.proj,
    norm2: ["encoder.layer.{l}.norm2", "layer.{l}.norm2"],
    mlp_in: ["encoder.layer.{l}.mlp.fc1", "encoder.layer.{l}.mlp.up_proj"],
    mlp_gate: ["encoder.layer.{l}.mlp.gate_proj"],
    mlp_out: [
      "encoder.layer.{l}.mlp.fc2",
      "encoder.layer.{l}.mlp.weights_out",
      "encoder.layer.{l}.mlp.down_proj",
    ],
  };
  const tensors: Record<string, readonly string[]> = {
    ...VIT_TENSORS,
    registers: ["embeddings.register_tokens"],
  };
  for (let l = 0; l < base.depth; l++) {
    tensors[`blocks.${l}.ls1.weight`] = [`encoder.layer.${l}.layer_scale1.lambda1`];
    tensors[`blocks.${l}.ls2.weight`] = [`encoder.layer.${l}.layer_scale2.lambda1`];
  }
  return {
    spec: {
      ...base,
      mlpSize,
      cls: true,
      registers: registers ? numberField(config, "num_register_tokens", 4) : 0,
      positionTable: { coversCls: true },
      preNorm: false,
      finalNorm: true,
      normEps: numberField(config, "layer_norm_eps", 1e-6),
      activation: swiglu ? "silu" : activationOf(config, "gelu"),
      mlp: swiglu ? "gated" : "plain",
      layerScale: true,
    },
    names: {
      modules: { ...VIT_EMBEDDINGS, ...block },
      tensors,
      fusedGateUp: ["encoder.layer.{l}.mlp.weights_in"],
    },
    tableGrid: tableGridOf(config, base.patchSize),
    tableResample: registers ? "bicubic-antialias" : "bicubic",
  };
}

function dinov3(config: Config): Architecture {
  const base = common(config);
  const gated = config.use_gated_mlp === true;
  const block = (path: string) => [`layer.{l}.${path}`, `model.layer.{l}.${path}`];
  const tensors: Record<string, readonly string[]> = {
    cls: ["embeddings.cls_token"],
    registers: ["embeddings.register_tokens"],
  };
  for (let l = 0; l < base.depth; l++) {
    tensors[`blocks.${l}.ls1.weight`] = [
      `layer.${l}.layer_scale1.lambda1`,
      `model.layer.${l}.layer_scale1.lambda1`,
    ];
    tensors[`blocks.${l}.ls2.weight`] = [
      `layer.${l}.layer_scale2.lambda1`,
      `model.layer.${l}.layer_scale2.lambda1`,
    ];
  }
  return {
    spec: {
      ...base,
      mlpSize: numberField(config, "intermediate_size"),
      cls: true,
      registers: numberField(config, "num_register_tokens", 4),
      rope: { kind: "dinov3", theta: numberField(config, "rope_theta", 100) },
      preNorm: false,
      finalNorm: true,
      normEps: numberField(config, "layer_norm_eps", 1e-5),
      activation: activationOf(config, gated ? "silu" : "gelu"),
      mlp: gated ? "gated" : "plain",
      layerScale: true,
    },
    names: {
      modules: {
        patch: ["embeddings.patch_embeddings"],
        norm: ["norm"],
        norm1: block("norm1"),
        q: block("attention.q_proj"),
        k: block("attention.k_proj"),
        v: block("attention.v_proj"),
        proj: block("attention.o_proj"),
        norm2: block("norm2"),
        mlp_in: block("mlp.up_proj"),
        mlp_gate: block("mlp.gate_proj"),
        mlp_out: block("mlp.down_proj"),
      },
      tensors,
    },
    tableResample: "bicubic",
  };
}

/** CLIP and SigLIP vision towers (whole CLIPModel/SiglipModel checkpoints or vision-only ones). */
function clipLike(config: Config, kind: "clip" | "siglip"): Architecture {
  const vision = (
    typeof config.vision_config === "object" && config.vision_config !== null ? config.vision_config : config
  ) as Config;
  const base = common(vision);
  const layer = (path: string) => [`encoder.layers.{l}.${path}`];
  const clip = kind === "clip";
  return {
    spec: {
      ...base,
      mlpSize: numberField(vision, "intermediate_size"),
      cls: clip,
      registers: 0,
      positionTable: { coversCls: clip },
      preNorm: clip,
      finalNorm: !clip, // CLIP applies post_layernorm to the pooled token only
      normEps: numberField(vision, "layer_norm_eps", clip ? 1e-5 : 1e-6),
      activation: activationOf(vision, clip ? "quick_gelu" : "gelu_pytorch_tanh"),
      mlp: "plain",
      layerScale: false,
    },
    names: {
      modules: {
        patch: ["embeddings.patch_embedding"],
        pre_norm: ["pre_layrnorm"],
        norm: ["post_layernorm"],
        norm1: layer("layer_norm1"),
        q: layer("self_attn.q_proj"),
        k: layer("self_attn.k_proj"),
        v: layer("self_attn.v_proj"),
        proj: layer("self_attn.out_proj"),
        norm2: layer("layer_norm2"),
        mlp_in: layer("mlp.fc1"),
        mlp_out: layer("mlp.fc2"),
      },
      tensors: { cls: ["embeddings.class_embedding"], position: ["embeddings.position_embedding.weight"] },
    },
    tableGrid: tableGridOf(vision, base.patchSize),
    tableResample: "bicubic",
  };
}

/** The transformers `model_type`s the converter reads, and how. */
const ARCHITECTURES: Record<string, (config: Config) => Architecture> = {
  vit: (c) => vitLike(c, { cls: true }),
  vit_mae: (c) => vitLike(c, { cls: true }),
  ijepa: (c) => vitLike(c, { cls: false }),
  dinov2: (c) => dinov2(c, false),
  dinov2_with_registers: (c) => dinov2(c, true),
  dinov3_vit: dinov3,
  clip: (c) => clipLike(c, "clip"),
  clip_vision_model: (c) => clipLike(c, "clip"),
  siglip: (c) => clipLike(c, "siglip"),
  siglip_vision_model: (c) => clipLike(c, "siglip"),
};

/** The architectures {@link transformersArchitecture} knows, for messages and docs. */
export const TRANSFORMERS_MODEL_TYPES = Object.freeze(Object.keys(ARCHITECTURES));

/** Reads a transformers `config.json` (already parsed) into a spec and a name table. */
export function transformersArchitecture(config: unknown, label: string): Architecture {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new UnsupportedModelError(`${label}: config.json is not a JSON object`);
  }
  const modelType = (config as Config).model_type;
  const make = typeof modelType === "string" ? ARCHITECTURES[modelType] : undefined;
  if (make === undefined) {
    throw new UnsupportedModelError(
      `${label}: cannot convert model_type ${JSON.stringify(modelType)}; convertible: ${TRANSFORMERS_MODEL_TYPES.join(", ")}`,
    );
  }
  return make(config as Config);
}
