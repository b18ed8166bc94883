/**
 * Worker-thread entry for k-means: owns the k-means graphs' onnxruntime sessions, so a K change
 * never waits behind feature extraction and the thread serving Jupyter stays free. Fits run one
 * at a time, in the order they arrive.
 */
import { workerData } from "node:worker_threads";
import { serveRpc, wholeBuffers } from "../runtime/worker-rpc";
import { fitKMeans } from "./kmeans";
import { createKMeansEngine, type KMeansEngine } from "./kmeans-engine";
import type { KMeansFitAnswer, KMeansFitRequest } from "./kmeans-messages";
import { resolveKMeansOptions } from "./kmeans-options";

const threads = (workerData as { threads?: number } | undefined)?.threads;
let engine: KMeansEngine | undefined;

serveRpc<KMeansFitRequest, KMeansFitAnswer>(
  async (request) => {
    const start = performance.now();
    engine ??= createKMeansEngine(threads === undefined ? {} : { threads });
    const options = resolveKMeansOptions(request.options);
    const cancelled = () => Atomics.load(request.cancel, 0) !== 0;
    const result = await fitKMeans(engine, request.data, request.dims, options, cancelled);
    return {
      value: { result, ms: performance.now() - start },
      transfer: wholeBuffers([result.labels, result.centroids]),
    };
  },
  async () => {
    await engine?.dispose();
    engine = undefined;
  },
);
