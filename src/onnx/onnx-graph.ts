import { UnsupportedModelError } from "../errors";
import { type Field, fieldInts, fieldString, fields, WireType } from "./protobuf";

/** ONNX TensorProto.DataType codes seglens cares about. */
export const OnnxDataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;

/** A node attribute, reduced to the scalar and list kinds tap discovery reads. */
export interface OnnxAttribute {
  name: string;
  int?: number;
  float?: number;
  ints?: number[];
  string?: string;
}

/** A graph node with its wiring; `index` is its position, which ONNX requires to be topological. */
export interface OnnxNode {
  index: number;
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
  /** `metadata_props`, e.g. `pkg.torch.onnx.name_scopes` from the dynamo exporter. */
  metadata: Map<string, string>;
}

/** An initializer's name, shape and element type (its data is never copied). */
export interface OnnxInitializer {
  name: string;
  dims: number[];
  dataType: number;
  /** For weights stored outside the model file: the data file's path relative to the model. */
  location?: string;
}

/** A graph input or output. Unknown dimensions are their symbolic names or `undefined`. */
export interface OnnxValueInfo {
  name: string;
  elemType?: number;
  shape?: (number | string | undefined)[];
}

/** The parts of an ONNX model that tap discovery and editing need. */
export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: Map<string, OnnxInitializer>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Default-domain opset version. */
  opset: number;
  producer: string;
}

// Field numbers from onnx.proto3.
const MODEL = { graph: 7, opsetImport: 8, producerName: 2 } as const;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7, metadata: 9 } as const;

/** Parses an ONNX ModelProto. Throws UnsupportedModelError when the bytes are not an ONNX model. */
export function parseOnnxModel(bytes: Uint8Array, label = "model"): OnnxGraph {
  try {
    return parseModel(bytes, label);
  } catch (cause) {
    if (cause instanceof UnsupportedModelError) throw cause;
    throw new UnsupportedModelError(`"${label}" is not a readable ONNX model`, { cause });
  }
}

function parseModel(bytes: Uint8Array, label: string): OnnxGraph {
  let graphField: Field | undefined;
  let opset = 0;
  let producer = "";
  for (const f of fields(bytes)) {
    if (f.number === MODEL.graph && f.wireType === WireType.LengthDelimited) graphField = f;
    else if (f.number === MODEL.opsetImport) opset = Math.max(opset, readOpset(bytes, f));
    else if (f.number === MODEL.producerName) producer = fieldString(bytes, f);
  }
  if (graphField === undefined) {
    throw new UnsupportedModelError(`"${label}" is not an ONNX model: it has no graph`);
  }
  const graph: OnnxGraph = { nodes: [], initializers: new Map(), inputs: [], outputs: [], opset, producer };
  for (const f of fields(bytes, graphField.start, graphField.end)) {
    if (f.number === GRAPH.node) graph.nodes.push(readNode(bytes, f, graph.nodes.length));
    else if (f.number === GRAPH.initializer) {
      const init = readInitializer(bytes, f);
      graph.initializers.set(init.name, init);
    } else if (f.number === GRAPH.input) graph.inputs.push(readValueInfo(bytes, f));
    else if (f.number === GRAPH.output) graph.outputs.push(readValueInfo(bytes, f));
  }
  return graph;
}

/** Where the GraphProto lies inside the ModelProto bytes. */
export function graphFieldOf(bytes: Uint8Array): Field {
  for (const f of fields(bytes)) if (f.number === MODEL.graph) return f;
  throw new UnsupportedModelError("not an ONNX model: it has no graph");
}

function readOpset(bytes: Uint8Array, f: Field): number {
  let domain = "";
  let version = 0;
  for (const g of fields(bytes, f.start, f.end)) {
    if (g.number === 1) domain = fieldString(bytes, g);
    else if (g.number === 2) version = g.varint;
  }
  return domain === "" || domain === "ai.onnx" ? version : 0;
}

function readNode(bytes: Uint8Array, f: Field, index: number): OnnxNode {
  const node: OnnxNode = {
    index,
    name: "",
    opType: "",
    domain: "",
    inputs: [],
    outputs: [],
    attributes: new Map(),
    metadata: new Map(),
  };
  for (const g of fields(bytes, f.start, f.end)) {
    switch (g.number) {
      case NODE.input:
        node.inputs.push(fieldString(bytes, g));
        break;
      case NODE.output:
        node.outputs.push(fieldString(bytes, g));
        break;
      case NODE.name:
        node.name = fieldString(bytes, g);
        break;
      case NODE.opType:
        node.opType = fieldString(bytes, g);
        break;
      case NODE.domain:
        node.domain = fieldString(bytes, g);
        break;
      case NODE.attribute: {
        const attribute = readAttribute(bytes, g);
        node.attributes.set(attribute.name, attribute);
        break;
      }
      case NODE.metadata: {
        const [key, value] = readStringPair(bytes, g);
        node.metadata.set(key, value);
        break;
      }
    }
  }
  return node;
}

function readAttribute(bytes: Uint8Array, f: Field): OnnxAttribute {
  const attribute: OnnxAttribute = { name: "" };
  for (const g of fields(bytes, f.start, f.end)) {
    if (g.number === 1) attribute.name = fieldString(bytes, g);
    else if (g.number === 2)
      attribute.float = Buffer.from(bytes.buffer, bytes.byteOffset + g.start, 4).readFloatLE(0);
    else if (g.number === 3) attribute.int = g.varint;
    else if (g.number === 4) attribute.string = fieldString(bytes, g);
    else if (g.number === 8) attribute.ints = [...(attribute.ints ?? []), ...fieldInts(bytes, g)];
  }
  return attribute;
}

function readInitializer(bytes: Uint8Array, f: Field): OnnxInitializer {
  const init: OnnxInitializer = { name: "", dims: [], dataType: 0 };
  for (const g of fields(bytes, f.start, f.end)) {
    if (g.number === 1) init.dims.push(...fieldInts(bytes, g));
    else if (g.number === 2) init.dataType = g.varint;
    else if (g.number === 8) init.name = fieldString(bytes, g);
    else if (g.number === 13) {
      const [key, value] = readStringPair(bytes, g);
      if (key === "location") init.location = value;
    }
  }
  return init;
}

function readValueInfo(bytes: Uint8Array, f: Field): OnnxValueInfo {
  const info: OnnxValueInfo = { name: "" };
  for (const g of fields(bytes, f.start, f.end)) {
    if (g.number === 1) info.name = fieldString(bytes, g);
    else if (g.number === 2) {
      for (const t of fields(bytes, g.start, g.end)) {
        if (t.number !== 1) continue; // tensor_type
        for (const tt of fields(bytes, t.start, t.end)) {
          if (tt.number === 1) info.elemType = tt.varint;
          else if (tt.number === 2) info.shape = readShape(bytes, tt);
        }
      }
    }
  }
  return info;
}

function readShape(bytes: Uint8Array, f: Field): (number | string | undefined)[] {
  const shape: (number | string | undefined)[] = [];
  for (const d of fields(bytes, f.start, f.end)) {
    if (d.number !== 1) continue;
    let dim: number | string | undefined;
    for (const v of fields(bytes, d.start, d.end)) {
      if (v.number === 1) dim = v.varint;
      else if (v.number === 2) dim = fieldString(bytes, v);
    }
    shape.push(dim);
  }
  return shape;
}

function readStringPair(bytes: Uint8Array, f: Field): [key: string, value: string] {
  let key = "";
  let value = "";
  for (const g of fields(bytes, f.start, f.end)) {
    if (g.number === 1) key = fieldString(bytes, g);
    else if (g.number === 2) value = fieldString(bytes, g);
  }
  return [key, value];
}
