import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createGraphBuilder, type GraphBuilder } from "../onnx/onnx-builder";
import { createRandom } from "../util/random";

/** Shape of a ViT to generate. */
export interface VitShape {
  depth: number;
  hiddenSize: number;
  heads: number;
  mlpSize: number;
  patchSize: number;
  imageSize: number;
}

/** ViT-S/16 and ViT-B/16 at 224 px, the sizes the README's benchmarks report. */
export const VIT_SHAPES = Object.freeze({
  "vit-small-patch16": { depth: 12, hiddenSize: 384, heads: 6, mlpSize: 1536, patchSize: 16, imageSize: 224 },
  "vit-base-patch16": { depth: 12, hiddenSize: 768, heads: 12, mlpSize: 3072, patchSize: 16, imageSize: 224 },
} satisfies Record<string, VitShape>);

/** Seeded weights uniform in [-scale, scale), so every run benchmarks the same model. */
function randomWeights(seed: number): (count: number, scale: number) => Float32Array {
  const random = createRandom(seed);
  return (count, scale) => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = (random.uniform() * 2 - 1) * scale;
    return out;
  };
}

/**
 * Builds a random-weight ViT with the operator structure of transformers' ViT as the TorchScript
 * exporter writes it at opset 17 (LayerNormalization, MatMul + Add projections, explicit attention,
 * erf GELU). For speed measurements only: the weights mean nothing.
 */
export function buildVitOnnx(shape: VitShape, seed = 0): Uint8Array {
  const g = createGraphBuilder("vit");
  const random = randomWeights(seed);
  const { depth, hiddenSize: d, heads, mlpSize, patchSize: p, imageSize } = shape;
  const grid = imageSize / p;
  const tokens = grid * grid + 1;
  const scalar = (name: string, value: number) => g.weight(name, [], Float32Array.of(value));
  const linear = (name: string, x: string, inF: number, outF: number) => {
    const [product] = g.node("MatMul", [
      x,
      g.weight(`${name}.weight`, [inF, outF], random(inF * outF, 0.05)),
    ]);
    return g.node("Add", [
      product as string,
      g.weight(`${name}.bias`, [outF], random(outF, 0.02)),
    ])[0] as string;
  };
  const layerNorm = (name: string, x: string) =>
    g.node(
      "LayerNormalization",
      [
        x,
        g.weight(
          `${name}.weight`,
          [d],
          random(d, 0.1).map((v) => 1 + v),
        ),
        g.weight(`${name}.bias`, [d], random(d, 0.02)),
      ],
      {
        axis: -1,
        epsilon: { float: 1e-12 },
      },
    )[0] as string;

  const pixels = g.input("pixel_values", ["batch", 3, imageSize, imageSize]);
  const [conv] = g.node(
    "Conv",
    [
      pixels,
      g.weight("patch.weight", [d, 3, p, p], random(d * 3 * p * p, 0.05)),
      g.weight("patch.bias", [d], random(d, 0.02)),
    ],
    {
      kernel_shape: [p, p],
      strides: [p, p],
    },
  );
  const [flat] = g.node("Reshape", [conv as string, g.int64s("patch.shape", [0, d, -1])]);
  const [patches] = g.node("Transpose", [flat as string], { perm: [0, 2, 1] });
  const [shapeOf] = g.node("Shape", [patches as string]);
  const [batch] = g.node("Slice", [shapeOf as string, g.int64s("zero", [0]), g.int64s("one", [1])]);
  const [clsShape] = g.node("Concat", [batch as string, g.int64s("cls.tail", [1, d])], { axis: 0 });
  const [cls] = g.node("Expand", [g.weight("cls_token", [1, 1, d], random(d, 0.02)), clsShape as string]);
  const [joined] = g.node("Concat", [cls as string, patches as string], { axis: 1 });
  let x = g.node("Add", [
    joined as string,
    g.weight("pos_embed", [1, tokens, d], random(tokens * d, 0.02)),
  ])[0] as string;

  const headDim = d / heads;
  const headShape = g.int64s("heads.shape", [0, 0, heads, headDim]);
  const mergedShape = g.int64s("merged.shape", [0, 0, d]);
  const scale = scalar("attn.scale", 1 / Math.sqrt(headDim));
  const half = scalar("gelu.half", 0.5);
  const one = scalar("gelu.one", 1);
  const rsqrt2 = scalar("gelu.rsqrt2", Math.SQRT1_2);
  for (let l = 0; l < depth; l++) {
    x = block(g, `layer.${l}`, x, {
      linear,
      layerNorm,
      headShape,
      mergedShape,
      scale,
      half,
      one,
      rsqrt2,
      d,
      mlpSize,
    });
  }
  const finalNorm = [
    x,
    g.weight("norm.weight", [d], new Float32Array(d).fill(1)),
    g.weight("norm.bias", [d], new Float32Array(d)),
  ];
  g.node("LayerNormalization", finalNorm, { axis: -1, epsilon: { float: 1e-12 } }, ["last_hidden_state"]);
  g.output("last_hidden_state", ["batch", tokens, d]);
  return g.build(17);
}

interface BlockParts {
  linear: (name: string, x: string, inF: number, outF: number) => string;
  layerNorm: (name: string, x: string) => string;
  headShape: string;
  mergedShape: string;
  scale: string;
  half: string;
  one: string;
  rsqrt2: string;
  d: number;
  mlpSize: number;
}

function block(g: GraphBuilder, name: string, x: string, s: BlockParts): string {
  const normed = s.layerNorm(`${name}.norm1`, x);
  const heads = (t: string, perm: number[]) =>
    g.node("Transpose", [g.node("Reshape", [t, s.headShape])[0] as string], { perm })[0] as string;
  const q = heads(s.linear(`${name}.query`, normed, s.d, s.d), [0, 2, 1, 3]);
  const k = heads(s.linear(`${name}.key`, normed, s.d, s.d), [0, 2, 3, 1]);
  const v = heads(s.linear(`${name}.value`, normed, s.d, s.d), [0, 2, 1, 3]);
  const [scores] = g.node("MatMul", [q, k]);
  const [scaled] = g.node("Mul", [scores as string, s.scale]);
  const [probs] = g.node("Softmax", [scaled as string], { axis: -1 });
  const [context] = g.node("MatMul", [probs as string, v]);
  const [merged] = g.node("Transpose", [context as string], { perm: [0, 2, 1, 3] });
  const [flat] = g.node("Reshape", [merged as string, s.mergedShape]);
  const [h] = g.node("Add", [x, s.linear(`${name}.proj`, flat as string, s.d, s.d)]);
  const hidden = s.linear(`${name}.fc1`, s.layerNorm(`${name}.norm2`, h as string), s.d, s.mlpSize);
  const [erf] = g.node("Erf", [g.node("Mul", [hidden, s.rsqrt2])[0] as string]);
  const [gate] = g.node("Add", [erf as string, s.one]);
  const [gelu] = g.node("Mul", [g.node("Mul", [hidden, s.half])[0] as string, gate as string]);
  return g.node("Add", [h as string, s.linear(`${name}.fc2`, gelu as string, s.mlpSize, s.d)])[0] as string;
}

/** Writes a benchmark ViT in Hub layout under `dir` unless it is there already; returns its folder. */
export function ensureBenchVit(dir: string, id: keyof typeof VIT_SHAPES): string {
  const folder = join(dir, id);
  const file = join(folder, "onnx", "model.onnx");
  if (existsSync(file)) return folder;
  const shape = VIT_SHAPES[id];
  mkdirSync(join(folder, "onnx"), { recursive: true });
  writeFileSync(
    join(folder, "config.json"),
    JSON.stringify({
      model_type: "vit",
      hidden_size: shape.hiddenSize,
      num_hidden_layers: shape.depth,
      num_attention_heads: shape.heads,
      intermediate_size: shape.mlpSize,
      patch_size: shape.patchSize,
      image_size: shape.imageSize,
    }),
  );
  writeFileSync(
    join(folder, "preprocessor_config.json"),
    JSON.stringify({
      image_processor_type: "ViTImageProcessor",
      do_resize: true,
      size: { height: shape.imageSize, width: shape.imageSize },
      resample: 2,
      do_rescale: true,
      rescale_factor: 1 / 255,
      do_normalize: true,
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
    }),
  );
  writeFileSync(`${file}.tmp`, buildVitOnnx(shape));
  renameSync(`${file}.tmp`, file);
  return folder;
}
