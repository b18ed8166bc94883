import type { SerializedError } from "../errors";
import type { RawTensor, RuntimeSessionOptions } from "./onnx-runtime";

/** Messages from the main thread to the inference worker. */
export type WorkerRequest =
  | { type: "open"; modelPath: string; options: RuntimeSessionOptions }
  | { type: "run"; id: number; feeds: Record<string, RawTensor>; fetches: string[] }
  | { type: "close" };

/** Messages from the inference worker back to the main thread. */
export type WorkerReply =
  | { type: "opened"; inputNames: string[]; outputNames: string[] }
  | { type: "result"; id: number; tensors: Record<string, RawTensor>; ms: number }
  | ({ type: "error"; id?: number } & SerializedError)
  | { type: "closed" };
