import type { SerializedError } from "../errors";
import type { KMeansResult } from "./kmeans";
import type { KMeansOptions } from "./kmeans-options";

/** Messages from the main thread to the k-means worker. */
export type KMeansWorkerRequest =
  | {
      type: "fit";
      id: number;
      /** float32 `[n, d]`, transferred or copied by postMessage. */
      data: Float32Array;
      dims: [n: number, d: number];
      options: KMeansOptions;
      /** Shared flag: the main thread stores 1 to cancel; the worker polls it between iterations. */
      cancel: Int32Array;
    }
  | { type: "close" };

/** Messages from the k-means worker back to the main thread. */
export type KMeansWorkerReply =
  | { type: "result"; id: number; result: KMeansResult; ms: number }
  | ({ type: "error"; id: number } & SerializedError)
  | { type: "closed" };
