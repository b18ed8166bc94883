import type { KMeansResult } from "./kmeans";
import type { KMeansOptions } from "./kmeans-options";

/** A fit sent to a k-means worker. */
export interface KMeansFitRequest {
  /** float32 `[n, d]`, transferred or copied by postMessage. */
  data: Float32Array;
  dims: [n: number, d: number];
  options: KMeansOptions;
  /** Shared flag: the main thread stores 1 to cancel; the worker polls it between iterations. */
  cancel: Int32Array;
}

/** A k-means worker's answer to a fit. */
export interface KMeansFitAnswer {
  result: KMeansResult;
  ms: number;
}
