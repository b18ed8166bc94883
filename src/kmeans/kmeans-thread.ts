import { Worker } from "node:worker_threads";
import { CancelledError, reviveError } from "../errors";
import { workerScript } from "../util/worker-script";
import type { KMeansResult } from "./kmeans";
import type { KMeansWorkerReply, KMeansWorkerRequest } from "./kmeans-messages";
import type { KMeansFitOptions } from "./kmeans-options";

/** One k-means worker thread with its own onnxruntime sessions; fits run one at a time, in call order. */
export interface KMeansThread {
  /** Sends a fit (data and options already checked by the caller). */
  fit(data: Float32Array, dims: [n: number, d: number], options: KMeansFitOptions): Promise<KMeansResult>;
  /** Fits sent and not yet settled. */
  inFlight(): number;
  /** Releases the sessions and stops the thread; pending fits reject with CancelledError. */
  dispose(): Promise<void>;
}

interface Pending {
  resolve: (result: KMeansResult) => void;
  reject: (error: Error) => void;
}

/** The fits in flight of one worker. */
interface FitTracker {
  /** Why the worker stopped, if it did. */
  failure(): Error | undefined;
  add(id: number, pending: Pending): void;
  /** Settles fit `id` with the worker's reply. */
  reply(reply: Exclude<KMeansWorkerReply, { type: "closed" }>): void;
  /** Rejects fit `id` now (cancelled); a later reply is ignored. */
  cancel(id: number): void;
  size(): number;
}

/** Tracks fits by id; while any is in flight, the worker keeps the process alive. */
function trackFits(worker: Worker): FitTracker {
  const pending = new Map<number, Pending>();
  let failure: Error | undefined;
  const settle = (id: number): Pending | undefined => {
    const p = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return p;
  };
  worker.unref();
  worker.on("error", (error) => fail(error));
  worker.on("exit", () => fail(new CancelledError("the k-means worker stopped")));
  function fail(error: Error): void {
    failure ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  }
  return {
    failure: () => failure,
    add(id: number, p: Pending): void {
      pending.set(id, p);
      worker.ref();
    },
    reply(reply: Exclude<KMeansWorkerReply, { type: "closed" }>): void {
      const p = settle(reply.id);
      if (reply.type === "result") p?.resolve(reply.result);
      else p?.reject(reviveError(reply));
    },
    cancel(id: number): void {
      settle(id)?.reject(new CancelledError("k-means cancelled"));
    },
    size: () => pending.size,
  };
}

/** Starts one k-means worker thread; `threads` is onnxruntime's intra-op threads per session. */
export function startKMeansThread(threads: number | undefined): KMeansThread {
  const worker = new Worker(workerScript(__dirname, "kmeans-worker"), { workerData: { threads } });
  const fits = trackFits(worker);
  let nextId = 1;
  let closed: (() => void) | undefined;
  worker.on("message", (reply: KMeansWorkerReply) => {
    if (reply.type === "closed") closed?.();
    else fits.reply(reply);
  });
  return {
    async fit(data, [n, d], fitOptions) {
      const { signal, transfer, ...kmeansOptions } = fitOptions;
      const failure = fits.failure();
      if (failure !== undefined) throw failure;
      if (signal?.aborted) throw new CancelledError("k-means cancelled");
      const id = nextId++;
      const cancel = new Int32Array(new SharedArrayBuffer(4));
      return new Promise<KMeansResult>((resolveFit, reject) => {
        fits.add(id, { resolve: resolveFit, reject });
        signal?.addEventListener("abort", () => {
          Atomics.store(cancel, 0, 1);
          fits.cancel(id);
        });
        // A copy of just the view (postMessage would clone a view's whole underlying buffer).
        const whole = data.buffer instanceof ArrayBuffer && data.byteLength === data.buffer.byteLength;
        const payload = transfer === true && whole ? data : data.slice();
        const request: KMeansWorkerRequest = {
          type: "fit",
          id,
          data: payload,
          dims: [n, d],
          options: kmeansOptions,
          cancel,
        };
        worker.postMessage(request, [payload.buffer as ArrayBuffer]);
      });
    },
    inFlight: () => fits.size(),
    async dispose() {
      if (fits.failure() === undefined) {
        worker.ref(); // Until the reply: an unreferenced worker would let the process exit first.
        await new Promise<void>((done) => {
          closed = done;
          worker.postMessage({ type: "close" } satisfies KMeansWorkerRequest);
        });
      }
      await worker.terminate();
    },
  };
}
