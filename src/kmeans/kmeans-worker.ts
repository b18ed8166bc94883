/**
 * Worker-thread entry for k-means: owns the k-means graphs' onnxruntime sessions, so a K change
 * never waits behind feature extraction and the thread serving Jupyter stays free.
 * Fits run one at a time, in the order they arrive.
 */
import { parentPort, workerData } from "node:worker_threads";
import { serializeError } from "../errors";
import { fitKMeans } from "./kmeans";
import { createKMeansEngine, type KMeansEngine } from "./kmeans-engine";
import type { KMeansWorkerReply, KMeansWorkerRequest } from "./kmeans-messages";
import { resolveKMeansOptions } from "./kmeans-options";

const threads = (workerData as { threads?: number } | undefined)?.threads;
let engine: KMeansEngine | undefined;
let queue: Promise<void> = Promise.resolve();

function send(reply: KMeansWorkerReply, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(reply, transfer);
}

/** Buffers to hand over instead of copying: those the arrays span whole (views of larger ones are copied). */
function ownBuffers(arrays: (Int32Array | Float32Array)[]): ArrayBuffer[] {
  return arrays
    .filter(
      (a) => a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength,
    )
    .map((a) => a.buffer as ArrayBuffer);
}

async function runFit(request: Extract<KMeansWorkerRequest, { type: "fit" }>): Promise<void> {
  const start = performance.now();
  try {
    engine ??= createKMeansEngine(threads === undefined ? {} : { threads });
    const options = resolveKMeansOptions(request.options);
    const cancelled = () => Atomics.load(request.cancel, 0) !== 0;
    const result = await fitKMeans(engine, request.data, request.dims, options, cancelled);
    const reply: KMeansWorkerReply = {
      type: "result",
      id: request.id,
      result,
      ms: performance.now() - start,
    };
    send(reply, ownBuffers([result.labels, result.centroids]));
  } catch (error) {
    send({ type: "error", id: request.id, ...serializeError(error) });
  }
}

async function handle(request: KMeansWorkerRequest): Promise<void> {
  switch (request.type) {
    case "fit":
      return runFit(request);
    case "close":
      await engine?.dispose();
      engine = undefined;
      send({ type: "closed" });
      return;
  }
}

parentPort?.on("message", (request: KMeansWorkerRequest) => {
  queue = queue.then(() => handle(request));
});
