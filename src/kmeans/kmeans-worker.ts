/**
 * Worker-thread entry for k-means: owns the k-means graphs' onnxruntime sessions, so a K change
 * never waits behind feature extraction and the thread serving Jupyter stays free. Fits run one
 * at a time, in the order they arrive.
 */
import { workerData } from "node:worker_threads";
import { serveRpc, wholeBuffers } from "../runtime/worker-rpc";
import { openRowFile, type RowScratch } from "../util/row-file";
import { fitKMeans, type KMeansRows, rowsInMemory } from "./kmeans";
import { createKMeansEngine, type KMeansEngine } from "./kmeans-engine";
import type { KMeansFitAnswer, KMeansFitRequest } from "./kmeans-messages";
import { resolveKMeansOptions } from "./kmeans-options";

const threads = (workerData as { threads?: number } | undefined)?.threads;
let engine: KMeansEngine | undefined;
// One buffer for every fit's sample and chunks: a fit uses one of them at a time, and fits run one at a time.
const scratch: RowScratch = { buffer: new Float32Array(0) };

serveRpc<KMeansFitRequest, KMeansFitAnswer>(
  async (request) => {
    const start = performance.now();
    engine ??= createKMeansEngine(threads === undefined ? {} : { threads });
    const options = resolveKMeansOptions(request.options);
    const cancelled = () => Atomics.load(request.cancel, 0) !== 0;
    const { rows, close } = fitRows(request);
    const result = await fitKMeans(engine, rows, options, cancelled).finally(close);
    return {
      value: { result, ms: performance.now() - start },
      transfer: wholeBuffers([result.labels, result.centroids]),
    };
  },
  async () => {
    await engine?.dispose();
    engine = undefined;
    scratch.buffer = new Float32Array(0);
  },
);

/** The request's rows: the array sent, or the row file read here, a sample and a chunk at a time. */
function fitRows(request: KMeansFitRequest): { rows: KMeansRows; close: () => void } {
  if ("data" in request) return { rows: rowsInMemory(request.data, request.dims), close: () => undefined };
  const { file } = request;
  const reader = openRowFile(file, scratch);
  return {
    rows: { n: file.rows, d: file.width, rows: reader.rows, gather: reader.gather, freshRows: true },
    close: reader.close,
  };
}
