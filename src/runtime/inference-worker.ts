/**
 * Worker-thread entry: owns one onnxruntime session, so the blocking `run()` never stalls the
 * thread that serves Jupyter messages, timers and progress.
 */
import { parentPort } from "node:worker_threads";
import { serializeError } from "../errors";
import type { WorkerReply, WorkerRequest } from "./inference-messages";
import { createRuntimeSession, type RawTensor, type RuntimeSession } from "./onnx-runtime";

function send(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(reply, transfer);
}

function errorReply(error: unknown, id?: number): WorkerReply {
  return id === undefined
    ? { type: "error", ...serializeError(error) }
    : { type: "error", id, ...serializeError(error) };
}

/** Buffers to hand over instead of copying; shared or view-of-larger buffers are copied by postMessage. */
function transferables(tensors: Record<string, RawTensor>): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of Object.values(tensors)) {
    const buffer = t.data.buffer;
    if (buffer instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === buffer.byteLength) {
      buffers.add(buffer);
    }
  }
  return [...buffers];
}

let session: RuntimeSession | undefined;

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.type) {
    case "open":
      try {
        session = await createRuntimeSession(request.modelPath, request.options);
        send({ type: "opened", inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
      } catch (error) {
        send(errorReply(error));
      }
      return;
    case "run":
      try {
        if (session === undefined) throw new Error("no model is open in the inference worker");
        const start = performance.now();
        const tensors = await session.run(request.feeds, request.fetches);
        const reply: WorkerReply = { type: "result", id: request.id, tensors, ms: performance.now() - start };
        try {
          send(reply, transferables(tensors));
        } catch {
          send(reply); // Not transferable after all: structured clone copies.
        }
      } catch (error) {
        send(errorReply(error, request.id));
      }
      return;
    case "close":
      await session?.dispose();
      session = undefined;
      send({ type: "closed" });
      return;
  }
}

parentPort?.on("message", (request: WorkerRequest) => {
  void handle(request);
});
