import { UnsupportedModelError } from "../errors";
import { carriesData, createGraphIndex, feeds, type GraphIndex, type TensorUse } from "./graph-index";
import type { OnnxGraph, OnnxNode } from "./onnx-graph";

/** A tensor to fetch; `third` selects q (0), k (1) or v (2) of a fused qkv projection's last axis. */
export interface TapRef {
  tensor: string;
  third?: 0 | 1 | 2;
}

/** The taps of one transformer block. */
export interface BlockTaps {
  /** Block output: the residual stream after the block's MLP, before any final norm. */
  tokens: string;
  q: TapRef;
  k: TapRef;
  v: TapRef;
  /** Attention probabilities (softmax output), when the graph computes them explicitly. */
  attention?: string;
}

/** Everything seglens reads from a ViT graph. */
export interface VitTaps {
  /** The residual stream entering block 1 (layer 0). */
  embeddings: string;
  blocks: BlockTaps[];
  hiddenSize: number;
  fusedQkv: boolean;
  /** Patch size from the patch-embedding convolution, when there is one. */
  patchSize?: number;
}

const MATMUL_OPS = new Set(["MatMul", "Gemm", "MatMulInteger", "FusedMatMul"]);
const FUSED_ATTENTION_OPS = new Set(["Attention", "MultiHeadAttention"]);
const RANDOM_OPS = new Set([
  "RandomUniform",
  "RandomUniformLike",
  "RandomNormal",
  "RandomNormalLike",
  "Multinomial",
]);
// Steps between a projection's input and the tensor it projects: dtype casts and int8 quantization.
const INPUT_ADAPTERS = new Set(["Cast", "DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear"]);
const QUANTIZERS = new Set(["DynamicQuantizeLinear", "QuantizeLinear"]);
const SEARCH_LIMIT = 2000;

/** A linear layer: a matrix product with constant weights, plus its dequantization and bias. */
interface Projection {
  core: OnnxNode;
  source: string;
  output: string;
  outFeatures: number;
}

interface Attention {
  q: TapRef;
  k: TapRef;
  v: TapRef;
  probs?: string;
  position: number;
  fused: boolean;
  /** Output features of the q projection (3× the hidden size when fused). */
  width: number;
}

/**
 * Finds the per-block taps of a vision transformer by graph structure: q/k/v are the linear
 * projections of one tensor whose outputs meet in the attention products (q·kᵀ, then ·v), and block
 * outputs are every second step of the residual stream (`x + f(x)`). Node names are not used, since
 * they depend on the exporter and its version (`…/layer.0/attention/attention/query/…` from
 * transformers 4, `…/layers.0/attention/q_proj/…` from 5, `node_MatMul_12` from the dynamo
 * exporter); they only label errors.
 */
export function discoverTaps(graph: OnnxGraph, label = "model"): VitTaps {
  const index = createGraphIndex(graph);
  rejectRandomOps(graph, label);
  const attentions = findAttentions(index);
  if (attentions.length === 0) {
    const linear = graph.nodes.filter((n) => MATMUL_OPS.has(n.opType)).length;
    const softmax = graph.nodes.filter((n) => n.opType === "Softmax").length;
    throw new UnsupportedModelError(
      `"${label}" does not look like a vision transformer: found no self-attention (three projections of one tensor meeting in q·kᵀ and ·v, or a fused qkv projection); the graph has ${graph.nodes.length} nodes, ${linear} matrix products and ${softmax} Softmax`,
    );
  }
  const stream = findResidualStream(index);
  if (stream.length !== 2 * attentions.length + 1) {
    throw new UnsupportedModelError(
      `"${label}": found ${attentions.length} attention blocks but a residual stream of ${stream.length - 1} additions (expected ${2 * attentions.length}: x + attn(x), x + mlp(x) per block)`,
    );
  }
  const blocks = attentions.map((attention, i): BlockTaps => {
    checkInsideBlock(index, attention, stream, i, label);
    const tokens = stream[2 * i + 2] as string;
    const taps: BlockTaps = { tokens, q: attention.q, k: attention.k, v: attention.v };
    if (attention.probs !== undefined) taps.attention = attention.probs;
    return taps;
  });
  const first = attentions[0] as Attention;
  const taps: VitTaps = {
    embeddings: stream[0] as string,
    blocks,
    hiddenSize: first.fused ? first.width / 3 : first.width,
    fusedQkv: first.fused,
  };
  const patchSize = findPatchSize(index);
  if (patchSize !== undefined) taps.patchSize = patchSize;
  return taps;
}

/**
 * The tensors features are read from (embeddings, and per block tokens and q, k, v), deduplicated,
 * in a stable order: the outputs an edited graph adds. Not the attention probabilities: nothing
 * reads them, and onnxruntime plans a graph output's buffer apart, fetched or not, never reusing it
 * for other tensors (blocks × heads × T² floats per image: 89 MB per batch of 8 of a ViT-S/16).
 */
export function tapTensors(taps: VitTaps): string[] {
  const names = [taps.embeddings];
  for (const block of taps.blocks) names.push(block.tokens, block.q.tensor, block.k.tensor, block.v.tensor);
  return [...new Set(names)];
}

function rejectRandomOps(graph: OnnxGraph, label: string): void {
  const random = graph.nodes.find((n) => RANDOM_OPS.has(n.opType));
  if (random === undefined) return;
  throw new UnsupportedModelError(
    `"${label}" draws random numbers inside the graph (${random.opType} node "${random.name}"): this is in-graph random masking (as in ViTMAE exports), which shuffles and drops tokens differently on every run; export the model with masking disabled (mask_ratio 0 and no shuffle, as "python models/export/export.py mae-base" does; see models/export/README.md)`,
  );
}

function findProjections(index: GraphIndex): Projection[] {
  const projections: Projection[] = [];
  for (const node of index.sorted) {
    if (!MATMUL_OPS.has(node.opType)) continue;
    const [input, weight] = node.inputs;
    if (input === undefined || weight === undefined) continue;
    if (index.isConstant(input) || !index.isConstant(weight)) continue;
    const dims = index.constantDims(weight);
    const transB = node.opType === "Gemm" && node.attributes.get("transB")?.int === 1;
    const outFeatures =
      dims === undefined ? 0 : ((transB ? dims[dims.length - 2] : dims[dims.length - 1]) ?? 0);
    projections.push({
      core: node,
      source: adapterSource(index, input),
      output: projectionOutput(index, node),
      outFeatures,
    });
  }
  return projections;
}

function adapterSource(index: GraphIndex, tensor: string): string {
  let current = tensor;
  for (let node = index.producer(current); node !== undefined && INPUT_ADAPTERS.has(node.opType); ) {
    current = node.inputs[0] as string;
    node = index.producer(current);
  }
  return current;
}

/** The tensor a projection writes: after int8 dequantization (Cast, Mul by the scale) and a bias Add. */
function projectionOutput(index: GraphIndex, core: OnnxNode): string {
  let output = core.outputs[0] as string;
  const follow = (op: string, when: (node: OnnxNode) => boolean): void => {
    const uses = index.consumers(output);
    const only = uses.length === 1 ? uses[0] : undefined;
    if (only !== undefined && only.node.opType === op && when(only.node))
      output = only.node.outputs[0] as string;
  };
  if (core.opType === "MatMulInteger") {
    follow("Cast", () => true);
    follow("Mul", () => true);
  }
  follow("Add", (add) => add.inputs.some((input) => input !== output && index.isConstant(input)));
  return output;
}

/** The first products of two activations (or fused attention ops) that `start` flows into. */
function attentionUses(index: GraphIndex, start: string): TensorUse[] {
  const hits: TensorUse[] = [];
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0 && seen.size < SEARCH_LIMIT) {
    const tensor = queue.shift() as string;
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    for (const use of index.consumers(tensor)) {
      // Quantizers lead only into integer products; their scale outputs would bypass those products.
      if (!carriesData(use) || QUANTIZERS.has(use.node.opType)) continue;
      const { node } = use;
      if (FUSED_ATTENTION_OPS.has(node.opType)) hits.push(use);
      else if (MATMUL_OPS.has(node.opType)) {
        if (node.inputs.every((input) => !index.isConstant(input))) hits.push(use);
      } else queue.push(...node.outputs);
    }
  }
  return hits;
}

function findAttentions(index: GraphIndex): Attention[] {
  const bySource = new Map<string, Projection[]>();
  for (const projection of findProjections(index)) {
    const group = bySource.get(projection.source) ?? [];
    group.push(projection);
    bySource.set(projection.source, group);
  }
  const attentions: Attention[] = [];
  for (const group of bySource.values()) {
    const attention =
      group.length === 1 ? fusedAttention(index, group[0] as Projection) : splitAttention(index, group);
    if (attention !== undefined) attentions.push(attention);
  }
  return attentions.sort((a, b) => a.position - b.position);
}

/** A fused qkv projection: its output reaches both inputs of q·kᵀ. */
function fusedAttention(index: GraphIndex, projection: Projection): Attention | undefined {
  const uses = attentionUses(index, projection.output);
  const scores = uses.find((u) => u.slot === 0 && uses.some((w) => w.node === u.node && w.slot === 1));
  const fusedOp = uses.find((u) => FUSED_ATTENTION_OPS.has(u.node.opType));
  if (scores === undefined && fusedOp === undefined) return undefined;
  const tensor = projection.output;
  const attention: Attention = {
    q: { tensor, third: 0 },
    k: { tensor, third: 1 },
    v: { tensor, third: 2 },
    position: index.order(projection.core),
    fused: true,
    width: projection.outFeatures,
  };
  const probs = scores === undefined ? undefined : softmaxAfter(index, scores.node);
  if (probs !== undefined) attention.probs = probs;
  return attention;
}

/** Three projections of one tensor: q at slot 0 and k at slot 1 of one product, v into another. */
function splitAttention(index: GraphIndex, group: Projection[]): Attention | undefined {
  const uses = group.map((p) => attentionUses(index, p.output));
  for (let qi = 0; qi < group.length; qi++) {
    for (const scores of (uses[qi] ?? []).filter(
      (u) => u.slot === 0 || FUSED_ATTENTION_OPS.has(u.node.opType),
    )) {
      const ki = uses.findIndex(
        (list, i) => i !== qi && list.some((u) => u.node === scores.node && u.slot === 1),
      );
      const vSlot = FUSED_ATTENTION_OPS.has(scores.node.opType) ? 2 : undefined;
      const vi = uses.findIndex(
        (list, i) =>
          i !== qi &&
          i !== ki &&
          list.some((u) =>
            vSlot === undefined
              ? u.node !== scores.node && u.slot === 1
              : u.node === scores.node && u.slot === vSlot,
          ),
      );
      if (ki < 0 || vi < 0) continue;
      const [q, k, v] = [group[qi], group[ki], group[vi]] as Projection[];
      const attention: Attention = {
        q: { tensor: q.output },
        k: { tensor: k.output },
        v: { tensor: v.output },
        position: Math.min(index.order(q.core), index.order(k.core), index.order(v.core)),
        fused: false,
        width: q.outFeatures,
      };
      const probs = vSlot === undefined ? softmaxAfter(index, scores.node) : undefined;
      if (probs !== undefined) attention.probs = probs;
      return attention;
    }
  }
  return undefined;
}

/** The Softmax output downstream of the attention scores, before the next product. */
function softmaxAfter(index: GraphIndex, scores: OnnxNode): string | undefined {
  const queue = [...scores.outputs];
  const seen = new Set<string>();
  while (queue.length > 0 && seen.size < SEARCH_LIMIT) {
    const tensor = queue.shift() as string;
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    for (const use of index.consumers(tensor)) {
      if (!carriesData(use) || MATMUL_OPS.has(use.node.opType)) continue;
      if (use.node.opType === "Softmax") return use.node.outputs[0];
      queue.push(...use.node.outputs);
    }
  }
  return undefined;
}

/**
 * The residual stream [x0, x1, …]: the longest chain of additions `x_{i+1} = x_i + f(x_i)` where
 * each skip input is the previous addition's output.
 */
function findResidualStream(index: GraphIndex): string[] {
  const nextBySkip = new Map<string, string>();
  for (const node of index.sorted) {
    if (node.opType !== "Add" || node.inputs.length !== 2) continue;
    const [a, b] = node.inputs as [string, string];
    if (index.isConstant(a) || index.isConstant(b)) continue;
    const skip = feeds(index, a, b) ? a : feeds(index, b, a) ? b : undefined;
    if (skip !== undefined) nextBySkip.set(skip, node.outputs[0] as string);
  }
  const outputs = new Set(nextBySkip.values());
  let longest: string[] = [];
  for (const start of nextBySkip.keys()) {
    if (outputs.has(start)) continue;
    const chain = [start];
    for (let next = nextBySkip.get(start); next !== undefined; next = nextBySkip.get(next)) chain.push(next);
    if (chain.length > longest.length) longest = chain;
  }
  return longest;
}

/** Checks that block i's projections lie between the stream steps that bracket its attention. */
function checkInsideBlock(
  index: GraphIndex,
  attention: Attention,
  stream: string[],
  i: number,
  label: string,
): void {
  const at = (tensor: string, fallback: number) => {
    const producer = index.producer(tensor);
    return producer === undefined ? fallback : index.order(producer);
  };
  const before = at(stream[2 * i] as string, -1);
  const after = at(stream[2 * i + 1] as string, Number.POSITIVE_INFINITY);
  if (attention.position <= before || attention.position >= after) {
    throw new UnsupportedModelError(
      `"${label}": the attention of block ${i + 1} does not sit between the residual additions that should enclose it; the graph is not a pre-norm ViT seglens can read`,
    );
  }
}

function findPatchSize(index: GraphIndex): number | undefined {
  const conv = index.sorted.find((n) => n.opType === "Conv" || n.opType === "ConvInteger");
  const strides = conv?.attributes.get("strides")?.ints;
  const kernel =
    conv?.attributes.get("kernel_shape")?.ints ?? index.constantDims(conv?.inputs[1] ?? "")?.slice(2);
  if (strides === undefined || kernel === undefined) return undefined;
  return strides[0] === kernel[0] ? strides[0] : undefined;
}
