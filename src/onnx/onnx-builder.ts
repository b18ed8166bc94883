import { OnnxDataType } from "./onnx-graph";
import { concatBytes, encodeBytesField, encodeStringField, encodeVarint, WireType } from "./protobuf";

/** An attribute value for {@link GraphBuilder.node}: int, float, ints or string. */
export type AttributeValue = number | { float: number } | number[] | string;

/** Element types of graph inputs and outputs the builder can declare; default "float32". */
export type BuilderElementType = "float32" | "int32" | "int64" | "bool";

/** ONNX TensorProto.DataType codes of {@link BuilderElementType} (onnx.proto3). */
const ELEMENT_TYPE_CODES: Record<BuilderElementType, number> = {
  float32: OnnxDataType.FLOAT,
  int32: OnnxDataType.INT32,
  int64: OnnxDataType.INT64,
  bool: 9,
};

/**
 * Writes ONNX models from scratch: nodes, float32 initializers, inputs and outputs. Used to make
 * benchmark models of real size without Python, and synthetic graphs for tests.
 */
export interface GraphBuilder {
  /** Adds a node; returns its output names (given, or `outputs` fresh ones; default one). */
  node(
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, AttributeValue>,
    outputs?: number | readonly string[],
  ): string[];
  /** Adds a float32 initializer and returns its name. */
  weight(name: string, dims: readonly number[], data: Float32Array): string;
  /** Adds an int64 initializer (shapes, axes) and returns its name; `dims` default `[values.length]`, `[]` for a scalar. */
  int64s(name: string, values: readonly number[], dims?: readonly number[]): string;
  /** Declares a graph input; a string dimension is symbolic (dynamic). `type` default "float32". */
  input(name: string, shape: readonly (number | string)[], type?: BuilderElementType): string;
  /** Declares a graph output; `type` default "float32". */
  output(name: string, shape: readonly (number | string)[], type?: BuilderElementType): void;
  /** The ModelProto bytes (IR 8, default-domain opset `opset`). */
  build(opset: number): Uint8Array;
}

function varintField(number: number, value: number): Uint8Array {
  return concatBytes([encodeVarint(number * 8 + WireType.Varint), encodeVarint(value)]);
}

function packedInts(number: number, values: readonly number[]): Uint8Array {
  return encodeBytesField(number, concatBytes(values.map((v) => encodeVarint(v))));
}

function tensorProto(name: string, dims: readonly number[], dataType: number, raw: Uint8Array): Uint8Array {
  return concatBytes([
    packedInts(1, dims),
    varintField(2, dataType),
    encodeStringField(8, name),
    encodeBytesField(9, raw),
  ]);
}

/** A TensorProto whose bytes live in an external data file (data_location EXTERNAL, onnx.proto3). */
function externalTensorProto(
  name: string,
  dims: readonly number[],
  dataType: number,
  place: { location: string; offset: number; length: number },
): Uint8Array {
  const entry = (key: string, value: string) =>
    encodeBytesField(13, concatBytes([encodeStringField(1, key), encodeStringField(2, value)]));
  return concatBytes([
    packedInts(1, dims),
    varintField(2, dataType),
    encodeStringField(8, name),
    entry("location", place.location),
    entry("offset", String(place.offset)),
    entry("length", String(place.length)),
    varintField(14, 1),
  ]);
}

function attributeProto(name: string, value: AttributeValue): Uint8Array {
  const nameField = encodeStringField(1, name);
  if (typeof value === "string")
    return concatBytes([nameField, encodeStringField(4, value), varintField(20, 3)]);
  if (Array.isArray(value)) return concatBytes([nameField, packedInts(8, value), varintField(20, 7)]);
  if (typeof value === "object") {
    const f = new Uint8Array(4);
    new DataView(f.buffer).setFloat32(0, value.float, true);
    return concatBytes([nameField, encodeVarint(2 * 8 + WireType.Fixed32), f, varintField(20, 1)]);
  }
  return concatBytes([nameField, varintField(3, value), varintField(20, 2)]);
}

function valueInfo(
  name: string,
  shape: readonly (number | string)[],
  type: BuilderElementType = "float32",
): Uint8Array {
  const dims = shape.map((d) =>
    encodeBytesField(1, typeof d === "number" ? varintField(1, d) : encodeStringField(2, d)),
  );
  const tensorType = concatBytes([
    varintField(1, ELEMENT_TYPE_CODES[type]),
    encodeBytesField(2, concatBytes(dims)),
  ]);
  return concatBytes([encodeStringField(1, name), encodeBytesField(2, encodeBytesField(1, tensorType))]);
}

/** A NodeProto's bytes (the payload of GraphProto field 1). */
export function nodeProto(
  name: string,
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Record<string, AttributeValue> = {},
): Uint8Array {
  return concatBytes([
    ...inputs.map((input) => encodeStringField(1, input)),
    ...outputs.map((output) => encodeStringField(2, output)),
    encodeStringField(3, name),
    encodeStringField(4, opType),
    ...Object.entries(attributes).map(([key, value]) => encodeBytesField(5, attributeProto(key, value))),
  ]);
}

/** An int64 TensorProto's bytes (shapes, axes, indices); `dims` `[]` for a scalar. */
export function int64TensorProto(
  name: string,
  values: readonly number[],
  dims: readonly number[] = [values.length],
): Uint8Array {
  const raw = new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
  return tensorProto(name, dims, OnnxDataType.INT64, raw);
}

/**
 * Where {@link GraphBuilder.weight} puts float32 weights instead of the protobuf: models over 2 GiB
 * cannot be one protobuf, so converted checkpoints keep their weights in a data file beside the graph.
 */
export interface ExternalWeights {
  /** The data file's name relative to the model file, e.g. `model.onnx_data`. */
  location: string;
  /** Appends `bytes` to the data file and returns the offset they start at. */
  append(bytes: Uint8Array): number;
}

/** Starts an empty graph named `name`; float32 weights go to `external` when given. */
export function createGraphBuilder(name: string, external?: ExternalWeights): GraphBuilder {
  const nodes: Uint8Array[] = [];
  const initializers: Uint8Array[] = [];
  const inputs: Uint8Array[] = [];
  const outputs: Uint8Array[] = [];
  let counter = 0;
  return {
    node(opType, nodeInputs, attributes = {}, outputNames = 1) {
      const id = `${opType}_${counter++}`;
      const outs =
        typeof outputNames === "number"
          ? Array.from({ length: outputNames }, (_, i) => `${id}_output_${i}`)
          : [...outputNames];
      nodes.push(nodeProto(id, opType, nodeInputs, outs, attributes));
      return outs;
    },
    weight(weightName, dims, data) {
      const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (external === undefined) {
        initializers.push(tensorProto(weightName, dims, OnnxDataType.FLOAT, raw));
      } else {
        const offset = external.append(raw);
        const place = { location: external.location, offset, length: raw.byteLength };
        initializers.push(externalTensorProto(weightName, dims, OnnxDataType.FLOAT, place));
      }
      return weightName;
    },
    int64s(constName, values, dims = [values.length]) {
      initializers.push(int64TensorProto(constName, values, dims));
      return constName;
    },
    input(inputName, shape, type) {
      inputs.push(valueInfo(inputName, shape, type));
      return inputName;
    },
    output(outputName, shape, type) {
      outputs.push(valueInfo(outputName, shape, type));
    },
    build(opset) {
      const graph = concatBytes([
        ...nodes.map((n) => encodeBytesField(1, n)),
        encodeStringField(2, name),
        ...initializers.map((t) => encodeBytesField(5, t)),
        ...inputs.map((i) => encodeBytesField(11, i)),
        ...outputs.map((o) => encodeBytesField(12, o)),
      ]);
      const opsetImport = concatBytes([encodeStringField(1, ""), varintField(2, opset)]);
      return concatBytes([
        varintField(1, 8),
        encodeStringField(2, "seglens"),
        encodeBytesField(7, graph),
        encodeBytesField(8, opsetImport),
      ]);
    },
  };
}
