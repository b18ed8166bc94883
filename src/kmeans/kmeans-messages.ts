import type { RowFile } from "../util/row-file";
import type { KMeansResult } from "./kmeans";
import type { KMeansOptions } from "./kmeans-options";

/** The rows of a fit: float32 `[n, d]` sent along (transferred or copied), or a row file the worker reads. */
export type KMeansFitData =
  | { data: Float32Array; dims: [n: number, d: number]; dataKey?: string }
  | { file: RowFile };

/** A fit sent to a k-means worker. */
export type KMeansFitRequest = KMeansFitData & {
  options: KMeansOptions;
  /** Shared flag: the main thread stores 1 to cancel; the worker polls it between iterations. */
  cancel: Int32Array;
};

/** A k-means worker's answer to a fit. */
export interface KMeansFitAnswer {
  result: KMeansResult;
  ms: number;
}
