import { graphFieldOf } from "./onnx-graph";
import { concatBytes, encodeBytesField, encodeStringField, encodeVarint, WireType } from "./protobuf";

const GRAPH_FIELD = 7;
const GRAPH = { node: 1, initializer: 5, output: 12 } as const;

/** What {@link appendToGraph} adds: encoded NodeProtos and TensorProtos, and output names. */
export interface GraphAdditions {
  nodes?: readonly Uint8Array[];
  initializers?: readonly Uint8Array[];
  outputs?: readonly string[];
}

/**
 * Returns a copy of the ModelProto `bytes` whose graph also outputs the tensors `names`.
 * The new outputs are appended to the graph's bytes (protobuf merges repeated fields), so every
 * other byte of the model is kept as it was. Outputs carry only a name: onnxruntime infers the
 * type, and a wrong declared type would be an error (an fp16 variant's inner tensors are float16).
 */
export function addGraphOutputs(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  return appendToGraph(bytes, { outputs: names });
}

/**
 * Returns a copy of `bytes` whose graph also holds `additions`, appended after its own fields as
 * {@link addGraphOutputs} does. Appended nodes run after every original one (nodes must be listed
 * in a topological order), so they may read any tensor of the graph.
 */
export function appendToGraph(bytes: Uint8Array, additions: GraphAdditions): Uint8Array {
  const graph = graphFieldOf(bytes);
  const added = [
    ...(additions.nodes ?? []).map((node) => encodeBytesField(GRAPH.node, node)),
    ...(additions.initializers ?? []).map((tensor) => encodeBytesField(GRAPH.initializer, tensor)),
    ...(additions.outputs ?? []).map((name) => encodeBytesField(GRAPH.output, encodeStringField(1, name))),
  ];
  const graphBytes = concatBytes([bytes.subarray(graph.start, graph.end), ...added]);
  return concatBytes([
    bytes.subarray(0, graph.tagStart),
    encodeVarint(GRAPH_FIELD * 8 + WireType.LengthDelimited),
    encodeVarint(graphBytes.length),
    graphBytes,
    bytes.subarray(graph.end),
  ]);
}
