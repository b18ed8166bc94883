import { availableParallelism } from "node:os";
import { OptionRangeError } from "../errors";
import type { RowFile } from "../util/row-file";
import type { KMeansResult } from "./kmeans";
import { checkKMeansData, checkRowFile, type KMeansFitOptions, resolveKMeansOptions } from "./kmeans-options";
import { type KMeansThread, startKMeansThread } from "./kmeans-thread";

export type { KMeansFitOptions } from "./kmeans-options";

/**
 * k-means in worker threads of its own, each with onnxruntime sessions kept across fits: a K
 * change never waits behind feature extraction, and the calling thread stays free.
 */
export interface KMeansWorker {
  /** Worker threads: how many fits run at once (send at least that many to keep them busy). */
  readonly workers: number;
  /**
   * Fits `data`, float32 `[n, d]`, exactly as `kmeans()` does in-thread (same labels, centroids
   * and inertia for the same input and seed, whichever thread runs it). Options are checked here,
   * before anything is sent (a bad one rejects with an InputError: OptionTypeError, OptionRangeError). Fits run
   * on the least busy thread, several at once when called without awaiting.
   */
  fit(
    data: Float32Array,
    dims: readonly [n: number, d: number],
    options?: KMeansFitOptions,
  ): Promise<KMeansResult>;
  /**
   * Fits the rows of a row file on disk, read by the worker itself: a sample to fit and one chunk
   * at a time to assign, so memory does not grow with the rows. Same result as `fit` on the same
   * rows in memory.
   */
  fitFile(file: RowFile, options?: KMeansFitOptions): Promise<KMeansResult>;
  /**
   * Starts every thread's onnxruntime and opens its sessions with a tiny fit (~0.5 s of start-up
   * the first real fit would otherwise wait for): call it while the data is still being made.
   */
  warmUp(): Promise<void>;
  /** Releases the sessions and stops the threads; pending fits reject with CancelledError. */
  dispose(): Promise<void>;
}

/** Options of {@link createKMeansWorker}. */
export interface KMeansWorkerOptions {
  /** Worker threads, each fitting one array at a time. Default: 2, or 1 on a single core. */
  workers?: number;
  /** onnxruntime intra-op threads per session of each worker. Default: cores ÷ workers, at least 1. */
  threads?: number;
}

/**
 * Starts the k-means worker threads. Two by default: a fit alternates JS bookkeeping (one core)
 * with onnxruntime runs, so two single-threaded workers keep two cores busy where one worker with
 * two onnxruntime threads leaves one idle half the time — 12 fits of 1568 × 384 took 90 ms instead
 * of 170 ms on 2 cores. Results do not depend on the thread (onnxruntime's GEMM gives the same bits
 * with 1 or 2 threads; checked on 64 fits).
 *
 * @example
 * const worker = createKMeansWorker();
 * const { labels } = await worker.fit(features, [6272, 768], { k: 6 });
 * await worker.dispose();
 */
export function createKMeansWorker(options: KMeansWorkerOptions = {}): KMeansWorker {
  const cores = availableParallelism();
  const count = options.workers ?? Math.min(2, cores);
  if (!Number.isInteger(count) || count < 1 || count > 64)
    throw new OptionRangeError(`invalid k-means workers: ${count}; expected an integer in 1..64`);
  const threads = options.threads ?? Math.max(1, Math.floor(cores / count));
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024)
    throw new OptionRangeError(`invalid k-means threads: ${threads}; expected an integer in 1..1024`);
  const pool: KMeansThread[] = Array.from({ length: count }, () => startKMeansThread(threads));
  const leastBusy = () => pool.reduce((a, b) => (b.inFlight() < a.inFlight() ? b : a));
  // Each data key stays with the thread that first fitted it, which keeps its prepared rows; keys
  // seen in turn (a sweep over layers) spread evenly.
  const homes = new Map<string, KMeansThread>();
  const homeOf = (key: string | undefined): KMeansThread => {
    if (key === undefined) return leastBusy();
    let home = homes.get(key);
    if (home === undefined) {
      home = pool[homes.size % count] as KMeansThread;
      homes.set(key, home);
    }
    return home;
  };
  return {
    workers: count,
    async fit(data, dims, fitOptions = {}) {
      const [n, d] = checkKMeansData(data, dims, resolveKMeansOptions(fitOptions).k);
      return homeOf(fitOptions.dataKey).fit({ data, dims: [n, d] }, fitOptions);
    },
    async fitFile(file, fitOptions = {}) {
      checkRowFile(file, resolveKMeansOptions(fitOptions).k);
      return leastBusy().fit({ file }, fitOptions);
    },
    async warmUp() {
      // Clustered rows, more than the sample, fitted as the explorer does: every graph session
      // (seeding, Lloyd with and without sums, on a subset of rows) opens, and the JIT warms up.
      const [n, d] = [2048, 64];
      const data = Float32Array.from({ length: n * d }, (_, i) => Math.sin(i % (7 * d)) + Math.cos(i));
      const options = { k: 8, restarts: 2, fitSampleSize: 1024, sampleSize: 512, seed: 1 };
      await Promise.all(pool.map((t) => t.fit({ data: data.slice(), dims: [n, d] }, options)));
    },
    async dispose() {
      await Promise.all(pool.map((t) => t.dispose()));
    },
  };
}
