/**
 * Worker-thread entry: owns one onnxruntime session, so the blocking `run()` never stalls the
 * thread that serves Jupyter messages, timers and progress.
 */
import type { InferenceAnswer, InferenceRequest } from "./inference-messages";
import { createRuntimeSession, type RuntimeSession } from "./onnx-runtime";
import { type RpcAnswer, serveRpc, wholeBuffers } from "./worker-rpc";

let session: RuntimeSession | undefined;

async function handle(request: InferenceRequest): Promise<RpcAnswer<InferenceAnswer>> {
  if (request.type === "open") {
    session = await createRuntimeSession(request.modelPath, request.options);
    return { value: { inputNames: [...session.inputNames], outputNames: [...session.outputNames] } };
  }
  if (session === undefined) throw new Error("no model is open in the inference worker");
  const start = performance.now();
  const tensors = await session.run(request.feeds, request.fetches);
  const transfer = wholeBuffers(Object.values(tensors).map((t) => t.data));
  return { value: { tensors, ms: performance.now() - start }, transfer };
}

serveRpc(handle, async () => {
  await session?.dispose();
  session = undefined;
});
