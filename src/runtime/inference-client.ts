import { Worker } from "node:worker_threads";
import { CancelledError, isSeglensError, reviveError, UnsupportedModelError } from "../errors";
import { workerScript } from "../util/worker-script";
import type { WorkerReply, WorkerRequest } from "./inference-messages";
import type { RawTensor, RuntimeSessionOptions } from "./onnx-runtime";

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
  const worker = new Worker(workerScript(__dirname, "inference-worker"));
  const pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let opened: (reply: WorkerReply) => void = () => {};
  let failure: Error | undefined;

  const failAll = (error: Error): void => {
    failure = error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on("message", (reply: WorkerReply) => {
    if ((reply.type === "result" || reply.type === "error") && reply.id !== undefined) {
      pending.get(reply.id)?.resolve(reply);
      pending.delete(reply.id);
    } else opened(reply);
  });
  worker.on("error", (error) => failAll(error));
  worker.on("exit", () => failAll(new CancelledError("the inference worker stopped")));

  const request = (message: WorkerRequest): void => worker.postMessage(message);
  const first = await new Promise<WorkerReply>((resolveOpen) => {
    opened = resolveOpen;
    const open: WorkerRequest = { type: "open", modelPath, options };
    request(open);
  });
  if (first.type !== "opened") {
    await worker.terminate();
    if (first.type !== "error") throw new UnsupportedModelError(`unexpected reply "${first.type}"`);
    // Opening fails on the model (or the execution provider): seglens' own errors keep their class,
    // anything else onnxruntime throws means it cannot load this file.
    const error = reviveError(first);
    if (isSeglensError(error)) throw error;
    throw new UnsupportedModelError(first.message, { cause: error });
  }

  return {
    inputNames: first.inputNames,
    outputNames: first.outputNames,
    async run(feeds, fetches) {
      if (failure !== undefined) throw failure;
      const id = nextId++;
      const reply = await new Promise<WorkerReply>((resolveRun, reject) => {
        pending.set(id, { resolve: resolveRun, reject });
        const transfer = Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer);
        worker.postMessage(
          { type: "run", id, feeds, fetches: [...fetches] } satisfies WorkerRequest,
          transfer,
        );
      });
      if (reply.type === "result") return { tensors: reply.tensors, ms: reply.ms };
      if (reply.type === "error") throw reviveError(reply);
      throw new Error(`unexpected reply "${reply.type}"`);
    },
    async dispose() {
      if (failure === undefined) {
        await new Promise<void>((closed) => {
          opened = () => closed();
          request({ type: "close" });
        });
      }
      await worker.terminate();
    },
  };
}
