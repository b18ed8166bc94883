import { CancelledError, UnsupportedModelError } from "../errors";
import { createGraphBuilder, type ExternalWeights, type GraphBuilder } from "../onnx/onnx-builder";
import { applyRope, type RopeConstants, ropeConstants } from "./rope-graph";
import { type Float32Tensor, sequenceLength, type VitSpec, type WeightSource } from "./vit-spec";

/** The opset the converted graphs use: 17 has LayerNormalization. */
const OPSET = 17;

/**
 * Builds the ONNX graph of `spec` with the weights of `source`: input `pixel_values`
 * `[batch, 3, H, W]` (H, W = grid × patch size), output `last_hidden_state`. The graph follows
 * PyTorch's operator order (pre-norm blocks, scores scaled after q·kᵀ) so its taps are found the same
 * way as in exported models and agree with PyTorch to float32 rounding. Weights go to `external`
 * when given (needed above 2 GiB). `onBlocks` is told how many blocks are built: 0 once the
 * embeddings are, then after each block; `signal` stops the build before the next block.
 */
export async function buildVitGraph(
  spec: VitSpec,
  source: WeightSource,
  options: {
    name?: string;
    external?: ExternalWeights;
    signal?: AbortSignal;
    onBlocks?: (built: number, depth: number) => void;
  } = {},
): Promise<Uint8Array> {
  const g = createGraphBuilder(options.name ?? "vit", options.external);
  const w = createWeightReader(g, source);
  const d = spec.hiddenSize;
  const [rows, columns] = spec.grid;
  const p = spec.patchSize;
  const tokens = sequenceLength(spec);

  const pixels = g.input("pixel_values", ["batch", 3, rows * p, columns * p]);
  let x = await embeddings(g, w, spec, pixels);
  if (spec.preNorm) x = await layerNorm(g, w, "pre_norm", x, spec.normEps);
  const shared = sharedConstants(g, spec);
  options.onBlocks?.(0, spec.depth);
  for (let l = 0; l < spec.depth; l++) {
    if (options.signal?.aborted) throw new CancelledError("conversion cancelled");
    x = await block(g, w, spec, shared, `blocks.${l}`, x);
    options.onBlocks?.(l + 1, spec.depth);
  }
  const last = spec.finalNorm ? await layerNorm(g, w, "norm", x, spec.normEps) : x;
  g.node("Identity", [last], {}, ["last_hidden_state"]);
  g.output("last_hidden_state", ["batch", tokens, d]);
  return g.build(OPSET);
}

interface WeightReader {
  /** A required weight as an initializer, transposed to `[in, out]` when `linear`. */
  required(name: string, options?: { linear?: boolean }): Promise<string>;
  /** An optional weight (a bias), or undefined. */
  optional(name: string): Promise<string | undefined>;
  /** A required weight's values, for folding into constants. */
  values(name: string): Promise<Float32Tensor>;
}

function createWeightReader(g: GraphBuilder, source: WeightSource): WeightReader {
  const values = async (name: string) => {
    const tensor = await source.read(name);
    if (tensor === undefined) {
      throw new UnsupportedModelError(
        `the checkpoint has no weight for "${name}", which this architecture needs`,
      );
    }
    return tensor;
  };
  return {
    values,
    async required(name, { linear = false } = {}) {
      const tensor = await values(name);
      if (!linear) return g.weight(name, tensor.dims, tensor.data);
      const [out, inF] = tensor.dims as [number, number];
      return g.weight(name, [inF, out], transpose(tensor.data, out, inF));
    },
    async optional(name) {
      const tensor = await source.read(name);
      return tensor === undefined ? undefined : g.weight(name, tensor.dims, tensor.data);
    },
  };
}

/** `[rows, columns]` row-major → `[columns, rows]`. */
function transpose(data: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const row = r * columns;
    for (let c = 0; c < columns; c++) out[c * rows + r] = data[row + c] as number;
  }
  return out;
}

async function linear(g: GraphBuilder, w: WeightReader, name: string, x: string): Promise<string> {
  const [product] = g.node("MatMul", [x, await w.required(`${name}.weight`, { linear: true })]);
  const bias = await w.optional(`${name}.bias`);
  return bias === undefined ? (product as string) : (g.node("Add", [product as string, bias])[0] as string);
}

async function layerNorm(g: GraphBuilder, w: WeightReader, name: string, x: string, eps: number) {
  const inputs = [x, await w.required(`${name}.weight`), await w.required(`${name}.bias`)];
  return g.node("LayerNormalization", inputs, { axis: -1, epsilon: { float: eps } })[0] as string;
}

/** Patches (+ position table) with the class token and registers in front: the input of block 1. */
async function embeddings(g: GraphBuilder, w: WeightReader, spec: VitSpec, pixels: string): Promise<string> {
  const d = spec.hiddenSize;
  const p = spec.patchSize;
  const convInputs = [pixels, await w.required("patch.weight")];
  const patchBias = await w.optional("patch.bias");
  if (patchBias !== undefined) convInputs.push(patchBias);
  const [conv] = g.node("Conv", convInputs, { kernel_shape: [p, p], strides: [p, p] });
  const [flat] = g.node("Reshape", [conv as string, g.int64s("patch.shape", [0, d, -1])]);
  let [patches] = g.node("Transpose", [flat as string], { perm: [0, 2, 1] }) as [string];

  const table = spec.positionTable ? await w.values("position") : undefined;
  const patchCount = spec.grid[0] * spec.grid[1];
  const tableRows = patchCount + (spec.positionTable?.coversCls ? 1 : 0);
  if (table !== undefined && table.data.length !== tableRows * d) {
    throw new UnsupportedModelError(
      `the position table has ${table.data.length / d} rows; a ${spec.grid.join("×")} grid needs ${tableRows}`,
    );
  }
  const clsRows = tableRows - patchCount;
  if (table !== undefined) {
    const patchTable = table.data.subarray(clsRows * d);
    patches = g.node("Add", [
      patches,
      g.weight("position.patches", [1, patchCount, d], patchTable),
    ])[0] as string;
  }
  const prefix: string[] = [];
  if (spec.cls) {
    let cls = (await w.values("cls")).data;
    if (table !== undefined && clsRows === 1) cls = cls.map((v, i) => v + (table.data[i] as number));
    prefix.push(g.weight("cls.positioned", [1, 1, d], cls));
  }
  if (spec.registers > 0) {
    const registers = await w.values("registers");
    prefix.push(g.weight("registers.tokens", [1, spec.registers, d], registers.data));
  }
  if (prefix.length === 0) return patches;
  const [shape] = g.node("Shape", [patches]);
  const [batch] = g.node("Slice", [
    shape as string,
    g.int64s("batch.start", [0]),
    g.int64s("batch.end", [1]),
  ]);
  const expanded = prefix.map((token, i) => {
    const rows = i === 0 && spec.cls ? 1 : spec.registers;
    const [target] = g.node("Concat", [batch as string, g.int64s(`prefix.${i}.tail`, [rows, d])], {
      axis: 0,
    });
    return g.node("Expand", [token, target as string])[0] as string;
  });
  return g.node("Concat", [...expanded, patches], { axis: 1 })[0] as string;
}

interface SharedConstants {
  headShape: string;
  mergedShape: string;
  scale: string;
  rope?: RopeConstants;
  constant: (name: string, value: number) => string;
}

function sharedConstants(g: GraphBuilder, spec: VitSpec): SharedConstants {
  const headDim = spec.hiddenSize / spec.heads;
  const cache = new Map<string, string>();
  const constant = (name: string, value: number) => {
    const known = cache.get(name);
    if (known !== undefined) return known;
    const made = g.weight(name, [], Float32Array.of(value));
    cache.set(name, made);
    return made;
  };
  const shared: SharedConstants = {
    headShape: g.int64s("heads.shape", [0, 0, spec.heads, headDim]),
    mergedShape: g.int64s("merged.shape", [0, 0, spec.hiddenSize]),
    scale: constant("attention.scale", headDim ** -0.5),
    constant,
  };
  const rope = ropeConstants(g, spec);
  if (rope !== undefined) shared.rope = rope;
  return shared;
}

async function block(
  g: GraphBuilder,
  w: WeightReader,
  spec: VitSpec,
  s: SharedConstants,
  name: string,
  x: string,
): Promise<string> {
  const normed = await layerNorm(g, w, `${name}.norm1`, x, spec.normEps);
  const heads = (t: string) =>
    g.node("Transpose", [g.node("Reshape", [t, s.headShape])[0] as string], {
      perm: [0, 2, 1, 3],
    })[0] as string;
  let q = heads(await linear(g, w, `${name}.q`, normed));
  let k = heads(await linear(g, w, `${name}.k`, normed));
  const v = heads(await linear(g, w, `${name}.v`, normed));
  if (s.rope !== undefined) {
    q = applyRope(g, s.rope, q);
    k = applyRope(g, s.rope, k);
  }
  const [kT] = g.node("Transpose", [k], { perm: [0, 1, 3, 2] });
  const [scores] = g.node("MatMul", [q, kT as string]);
  const [scaled] = g.node("Mul", [scores as string, s.scale]);
  const [probs] = g.node("Softmax", [scaled as string], { axis: -1 });
  const [context] = g.node("MatMul", [probs as string, v]);
  const [merged] = g.node("Transpose", [context as string], { perm: [0, 2, 1, 3] });
  const [flat] = g.node("Reshape", [merged as string, s.mergedShape]);
  let attention = await linear(g, w, `${name}.proj`, flat as string);
  if (spec.layerScale)
    attention = g.node("Mul", [attention, await w.required(`${name}.ls1.weight`)])[0] as string;
  const [h] = g.node("Add", [x, attention]);

  const normed2 = await layerNorm(g, w, `${name}.norm2`, h as string, spec.normEps);
  const up = await linear(g, w, `${name}.mlp_in`, normed2);
  let hidden: string;
  if (spec.mlp === "gated") {
    const gate = activation(g, s, spec.activation, await linear(g, w, `${name}.mlp_gate`, normed2));
    hidden = g.node("Mul", [gate, up])[0] as string;
  } else {
    hidden = activation(g, s, spec.activation, up);
  }
  let mlp = await linear(g, w, `${name}.mlp_out`, hidden);
  if (spec.layerScale) mlp = g.node("Mul", [mlp, await w.required(`${name}.ls2.weight`)])[0] as string;
  return g.node("Add", [h as string, mlp])[0] as string;
}

function activation(g: GraphBuilder, s: SharedConstants, kind: VitSpec["activation"], x: string): string {
  const mul = (a: string, b: string) => g.node("Mul", [a, b])[0] as string;
  switch (kind) {
    case "gelu": {
      const [erf] = g.node("Erf", [mul(x, s.constant("gelu.rsqrt2", Math.SQRT1_2))]);
      const [gate] = g.node("Add", [erf as string, s.constant("one", 1)]);
      return mul(mul(x, s.constant("half", 0.5)), gate as string);
    }
    case "gelu_tanh": {
      const cube = mul(mul(x, x), x);
      const [inner] = g.node("Add", [x, mul(cube, s.constant("gelu.cubic", 0.044715))]);
      const [tanh] = g.node("Tanh", [
        mul(inner as string, s.constant("gelu.sqrt2pi", Math.sqrt(2 / Math.PI))),
      ]);
      const [gate] = g.node("Add", [tanh as string, s.constant("one", 1)]);
      return mul(mul(x, s.constant("half", 0.5)), gate as string);
    }
    case "quick_gelu":
      return mul(x, g.node("Sigmoid", [mul(x, s.constant("quick_gelu.scale", 1.702))])[0] as string);
    case "silu":
      return mul(x, g.node("Sigmoid", [x])[0] as string);
    default: {
      const unknown: never = kind;
      throw new UnsupportedModelError(`unknown activation "${String(unknown)}"`);
    }
  }
}
