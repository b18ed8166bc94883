import { isSeglensError, UnsupportedModelError } from "../errors";
import { workerScript } from "../util/worker-script";
import type { InferenceAnswer, InferenceRequest } from "./inference-messages";
import type { RawTensor, RuntimeSessionOptions } from "./onnx-runtime";
import { startRpcThread } from "./worker-rpc";

/** A model session living in its own worker thread. */
export interface InferenceWorker {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs one batch (the feeds' buffers are transferred to the worker, so they are detached after); resolves with the fetched outputs and the time the worker spent in `run()`. */
  run(
    feeds: Record<string, RawTensor>,
    fetches: readonly string[],
  ): Promise<{ tensors: Record<string, RawTensor>; ms: number }>;
  /** Releases the session and stops the thread. Pending runs reject with CancelledError. */
  dispose(): Promise<void>;
}

/** Starts a worker thread and opens `modelPath` in it. */
export async function createInferenceWorker(
  modelPath: string,
  options: RuntimeSessionOptions = {},
): Promise<InferenceWorker> {
  const thread = startRpcThread<InferenceRequest, InferenceAnswer>(
    workerScript(__dirname, "inference-worker"),
    {
      name: "inference",
      keepAliveWhenIdle: true,
    },
  );
  let names: InferenceAnswer;
  try {
    names = await thread.call({ type: "open", modelPath, options });
  } catch (error) {
    await thread.close();
    // Opening fails on the model (or the execution provider): seglens' own errors keep their class,
    // anything else onnxruntime throws means it cannot load this file.
    if (isSeglensError(error)) throw error;
    throw new UnsupportedModelError((error as Error).message, { cause: error });
  }
  const { inputNames, outputNames } = names as { inputNames: string[]; outputNames: string[] };
  return {
    inputNames,
    outputNames,
    async run(feeds, fetches) {
      const transfer = Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer);
      const answer = await thread.call({ type: "run", feeds, fetches: [...fetches] }, { transfer });
      return answer as { tensors: Record<string, RawTensor>; ms: number };
    },
    dispose: () => thread.close(),
  };
}
