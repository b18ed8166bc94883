import { setMaxListeners } from "node:events";
import type { PatchMatrix } from "../features/feature-cache";
import { createKMeansWorker } from "../kmeans/kmeans-client";
import type { KMeansOptions } from "../kmeans/kmeans-options";

/** Clusters one patch matrix; the default runs seglens' k-means in its worker thread. */
export type ClusterFn = (
  matrix: PatchMatrix,
  options: KMeansOptions,
) => Promise<{ labels: Int32Array; inertia: number }>;

/** A k-means runner for `segment`, with a stop. */
export interface Clusterer {
  fit: ClusterFn;
  dispose(): Promise<void>;
}

/**
 * The default clusterer: seglens' k-means in its worker pool, so fits run off the calling thread
 * and several layers' fits run at once.
 */
export function createClusterFn(options: { signal?: AbortSignal } = {}): Clusterer {
  const workers = createKMeansWorker();
  // Every fit in flight listens to the signal; a 12-layer sweep exceeds Node's default warning level of 10.
  if (options.signal !== undefined) setMaxListeners(256, options.signal);
  return {
    fit: async (matrix: PatchMatrix, kmeansOptions: KMeansOptions) => {
      const fitOptions =
        options.signal === undefined ? kmeansOptions : { ...kmeansOptions, signal: options.signal };
      const { labels, inertia } = await workers.fit(matrix.data, matrix.dims, fitOptions);
      return { labels, inertia };
    },
    dispose: () => workers.dispose(),
  };
}
