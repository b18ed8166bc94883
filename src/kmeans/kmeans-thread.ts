import { CancelledError } from "../errors";
import { startRpcThread } from "../runtime/worker-rpc";
import { workerScript } from "../util/worker-script";
import type { KMeansResult } from "./kmeans";
import type { KMeansFitAnswer, KMeansFitData, KMeansFitRequest } from "./kmeans-messages";
import type { KMeansFitOptions } from "./kmeans-options";

/** One k-means worker thread with its own onnxruntime sessions; fits run one at a time, in call order. */
export interface KMeansThread {
  /** Sends a fit (data and options already checked by the caller). */
  fit(data: KMeansFitData, options: KMeansFitOptions): Promise<KMeansResult>;
  /** Fits sent and not yet settled. */
  inFlight(): number;
  /** Releases the sessions and stops the thread; pending fits reject with CancelledError. */
  dispose(): Promise<void>;
}

/**
 * Starts one k-means worker thread; `threads` is onnxruntime's intra-op threads per session. An
 * idle worker does not keep the process alive.
 */
export function startKMeansThread(threads: number | undefined): KMeansThread {
  const thread = startRpcThread<KMeansFitRequest, KMeansFitAnswer>(workerScript(__dirname, "kmeans-worker"), {
    name: "k-means",
    workerData: { threads },
    keepAliveWhenIdle: false,
  });
  return {
    async fit(data, fitOptions) {
      const { signal, transfer, dataKey, ...options } = fitOptions;
      if (signal?.aborted) throw new CancelledError("k-means cancelled");
      // The worker polls this flag between iterations, so a cancelled fit also stops there.
      const cancel = new Int32Array(new SharedArrayBuffer(4));
      const onAbort = () => Atomics.store(cancel, 0, 1);
      signal?.addEventListener("abort", onAbort, { once: true });
      const aborts = signal === undefined ? {} : { signal };
      try {
        if ("file" in data) return (await thread.call({ file: data.file, options, cancel }, aborts)).result;
        const array = data.data;
        const key = dataKey === undefined ? {} : { dataKey };
        if (array.buffer instanceof SharedArrayBuffer) {
          const request = { data: array, dims: data.dims, ...key, options, cancel };
          return (await thread.call(request, aborts)).result;
        }
        // A copy of just the view (postMessage would clone a view's whole underlying buffer).
        const whole = array.byteLength === array.buffer.byteLength;
        const payload = transfer === true && whole ? array : array.slice();
        const answer = await thread.call(
          { data: payload, dims: data.dims, ...key, options, cancel },
          { transfer: [payload.buffer as ArrayBuffer], ...aborts },
        );
        return answer.result;
      } finally {
        // A signal shared by many fits (a precomputation of 30 Ks) must not collect their listeners.
        signal?.removeEventListener("abort", onAbort);
      }
    },
    inFlight: () => thread.inFlight(),
    dispose: () => thread.close(),
  };
}
