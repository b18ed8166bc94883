/**
 * Worker-thread entry for k-means: owns the k-means graphs' onnxruntime sessions, so a K change
 * never waits behind feature extraction and the thread serving Jupyter stays free. Fits run one
 * at a time, in the order they arrive.
 */
import { workerData } from "node:worker_threads";
import { serveRpc, wholeBuffers } from "../runtime/worker-rpc";
import { createLruCache } from "../util/lru-cache";
import { openRowFile, type RowScratch } from "../util/row-file";
import { fitKMeans, type KMeansRows, type PreparedRows, rowsInMemory } from "./kmeans";
import { createKMeansEngine, type KMeansEngine } from "./kmeans-engine";
import type { KMeansFitAnswer, KMeansFitRequest } from "./kmeans-messages";
import { resolveKMeansOptions } from "./kmeans-options";

const threads = (workerData as { threads?: number } | undefined)?.threads;
let engine: KMeansEngine | undefined;
// One buffer for every fit's sample and chunks: a fit uses one of them at a time, and fits run one at a time.
const scratch: RowScratch = { buffer: new Float32Array(0) };
/**
 * Prepared (normalized) rows of data sent with a `dataKey`, by key and normalization: a K change
 * over 12 layers of 16 ViT-S images then skips 12 normalizations of 1.2 M values each.
 */
const PREPARED_BYTES = 256 * 1024 * 1024;
const prepared = createLruCache<PreparedRows>({
  maxEntries: 256,
  maxBytes: PREPARED_BYTES,
  sizeOf: (rows) => rows.vectors.byteLength + rows.norms.byteLength,
});

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
    prepared.clear();
  },
);

/** The request's rows: the array sent, or the row file read here, a sample and a chunk at a time. */
function fitRows(request: KMeansFitRequest): { rows: KMeansRows; close: () => void } {
  if ("data" in request) {
    const rows = rowsInMemory(request.data, request.dims);
    const { dataKey } = request;
    rows.scratch = scratch;
    if (dataKey !== undefined)
      rows.keep = (normalize, make) => {
        const key = `${normalize} ${dataKey}`;
        return prepared.get(key) ?? prepared.set(key, make());
      };
    return { rows, close: () => undefined };
  }
  const { file } = request;
  const reader = openRowFile(file, scratch);
  return {
    rows: { n: file.rows, d: file.width, rows: reader.rows, gather: reader.gather, freshRows: true },
    close: reader.close,
  };
}
