import type { RawTensor, RuntimeSessionOptions } from "./onnx-runtime";

/** Calls into the inference worker. */
export type InferenceRequest =
  | { type: "open"; modelPath: string; options: RuntimeSessionOptions }
  | { type: "run"; feeds: Record<string, RawTensor>; fetches: string[] };

/** The inference worker's answers, to `open` and to `run`. */
export type InferenceAnswer =
  | { inputNames: string[]; outputNames: string[] }
  | { tensors: Record<string, RawTensor>; ms: number };
