import { graphFieldOf } from "./onnx-graph";
import { concatBytes, encodeBytesField, encodeStringField, encodeVarint, WireType } from "./protobuf";

const GRAPH_FIELD = 7;
const GRAPH_OUTPUT_FIELD = 12;

/**
 * Returns a copy of the ModelProto `bytes` whose graph also outputs the tensors `names`.
 * The new outputs are appended to the graph's bytes (protobuf merges repeated fields), so every
 * other byte of the model is kept as it was. Outputs carry only a name: onnxruntime infers the
 * type, and a wrong declared type would be an error (an fp16 variant's inner tensors are float16).
 */
export function addGraphOutputs(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const graph = graphFieldOf(bytes);
  const added = names.map((name) => encodeBytesField(GRAPH_OUTPUT_FIELD, encodeStringField(1, name)));
  const graphBytes = concatBytes([bytes.subarray(graph.start, graph.end), ...added]);
  return concatBytes([
    bytes.subarray(0, graph.tagStart),
    encodeVarint(GRAPH_FIELD * 8 + WireType.LengthDelimited),
    encodeVarint(graphBytes.length),
    graphBytes,
    bytes.subarray(graph.end),
  ]);
}
