import type { OnnxGraph, OnnxNode } from "./onnx-graph";

/** A use of a tensor: the consuming node and the input slot it occupies. */
export interface TensorUse {
  node: OnnxNode;
  slot: number;
}

/**
 * Wiring lookups over a parsed graph: who produces and who consumes each tensor, and which tensors
 * are constant (initializers, Constant nodes, and anything computed from constants only).
 */
export interface GraphIndex {
  graph: OnnxGraph;
  /** The nodes in a topological order (files need not be sorted: quantization tools shuffle them). */
  sorted: readonly OnnxNode[];
  /** A node's position in {@link sorted}. */
  order(node: OnnxNode): number;
  producer(tensor: string): OnnxNode | undefined;
  consumers(tensor: string): readonly TensorUse[];
  isConstant(tensor: string): boolean;
  /** Shape of a constant tensor traced back to its initializer through Cast/Transpose/dequantization. */
  constantDims(tensor: string): number[] | undefined;
}

// Ops whose output describes another tensor's shape, not its values: data never flows through them.
const METADATA_OPS = new Set(["Shape", "Size"]);

/** Indexes `graph` for tap discovery. */
export function createGraphIndex(graph: OnnxGraph): GraphIndex {
  const producers = new Map<string, OnnxNode>();
  const consumers = new Map<string, TensorUse[]>();
  const constants = new Set<string>(graph.initializers.keys());
  for (const node of graph.nodes) {
    for (const output of node.outputs) producers.set(output, node);
    node.inputs.forEach((input, slot) => {
      if (input === "") return;
      const uses = consumers.get(input) ?? [];
      uses.push({ node, slot });
      consumers.set(input, uses);
    });
  }
  const sorted = topologicalOrder(graph.nodes, producers, consumers);
  const position = new Map(sorted.map((node, i) => [node, i]));
  for (const node of sorted) {
    const computedFromConstants =
      node.opType === "Constant" ||
      (node.inputs.length > 0 &&
        !node.opType.startsWith("Random") &&
        node.inputs.every((input) => input === "" || constants.has(input)));
    if (computedFromConstants) for (const output of node.outputs) constants.add(output);
  }

  function constantDims(tensor: string): number[] | undefined {
    const init = graph.initializers.get(tensor);
    if (init !== undefined) return init.dims;
    const node = producers.get(tensor);
    if (node === undefined || !constants.has(tensor)) return undefined;
    const source = constantDims(node.inputs[0] ?? "");
    if (source === undefined) return undefined;
    if (node.opType === "Transpose") {
      const perm = node.attributes.get("perm")?.ints ?? source.map((_, i) => source.length - 1 - i);
      return perm.map((p) => source[p] ?? 0);
    }
    return ["Cast", "DequantizeLinear", "Identity"].includes(node.opType) ? source : undefined;
  }

  return {
    graph,
    sorted,
    order: (node) => position.get(node) ?? -1,
    producer: (tensor) => producers.get(tensor),
    consumers: (tensor) => consumers.get(tensor) ?? [],
    isConstant: (tensor) => constants.has(tensor),
    constantDims,
  };
}

/** Kahn's algorithm over tensor edges; nodes whose inputs no node produces are ready at once. */
function topologicalOrder(
  nodes: readonly OnnxNode[],
  producers: Map<string, OnnxNode>,
  consumers: Map<string, TensorUse[]>,
): OnnxNode[] {
  const waiting = new Map<OnnxNode, number>();
  const ready: OnnxNode[] = [];
  for (const node of nodes) {
    const count = new Set(node.inputs.filter((input) => producers.has(input))).size;
    waiting.set(node, count);
    if (count === 0) ready.push(node);
  }
  const sorted: OnnxNode[] = [];
  for (let i = 0; i < ready.length; i++) {
    const node = ready[i] as OnnxNode;
    sorted.push(node);
    for (const output of node.outputs) {
      const next = new Set((consumers.get(output) ?? []).map((use) => use.node));
      for (const consumer of next) {
        const left = (waiting.get(consumer) ?? 0) - 1;
        waiting.set(consumer, left);
        if (left === 0) ready.push(consumer);
      }
    }
  }
  // A cycle (invalid ONNX) leaves nodes out; keep them, in file order, rather than lose them.
  if (sorted.length < nodes.length) for (const node of nodes) if (!sorted.includes(node)) sorted.push(node);
  return sorted;
}

/** Whether data flows from `tensor` into this use (shape queries do not count). */
export function carriesData(use: TensorUse): boolean {
  return !METADATA_OPS.has(use.node.opType);
}

/**
 * Whether `ancestor` feeds `tensor` through data edges. The search only visits nodes after
 * `ancestor`'s producer in topological order, which keeps it within one block.
 */
export function feeds(index: GraphIndex, ancestor: string, tensor: string): boolean {
  const producer = index.producer(ancestor);
  const floor = producer === undefined ? -1 : index.order(producer);
  const seen = new Set<string>();
  const stack = [tensor];
  while (stack.length > 0) {
    const current = stack.pop() as string;
    if (current === ancestor) return true;
    if (seen.has(current) || index.isConstant(current)) continue;
    seen.add(current);
    const node = index.producer(current);
    if (node === undefined || index.order(node) <= floor || METADATA_OPS.has(node.opType)) continue;
    for (const input of node.inputs) if (input !== "") stack.push(input);
  }
  return false;
}
