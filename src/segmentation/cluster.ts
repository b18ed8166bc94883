import { setMaxListeners } from "node:events";
import { inMemory, type PatchSource } from "../features/patch-store";
import type { KMeansResult } from "../kmeans/kmeans";
import { createKMeansWorker, type KMeansFitOptions, type KMeansWorker } from "../kmeans/kmeans-client";
import type { KMeansOptions } from "../kmeans/kmeans-options";

/** Clusters one (rep, layer)'s patches; the default runs seglens' k-means in its worker threads. */
export type ClusterFn = (
  patches: PatchSource,
  options: KMeansOptions,
) => Promise<{ labels: Int32Array; inertia: number }>;

/** A k-means runner for `segment`, with a stop. */
export interface Clusterer {
  fit: ClusterFn;
  /** Fits that run at once; `segment` keeps this many in flight, so memory holds only theirs. */
  concurrency: number;
  dispose(): Promise<void>;
}

/**
 * Fits patches wherever they are: an array in memory is sent to the worker, a file is read by the
 * worker itself, a sample and a chunk at a time.
 */
export function fitPatches(
  workers: KMeansWorker,
  patches: PatchSource,
  options: KMeansFitOptions,
): Promise<KMeansResult> {
  return inMemory(patches)
    ? workers.fit(patches.data, patches.dims, options)
    : workers.fitFile(patches.file, options);
}

/**
 * The default clusterer: seglens' k-means in its worker pool, so fits run off the calling thread.
 * One worker by default, using every core: each worker's memory grows over dozens of fits
 * (onnxruntime's native allocations fragment), and over 1,000 ViT-S images 24 fits of two workers
 * peaked at 509 MB against 284 MB for one, which took 1.35× as long — a few percent of a whole
 * `segment` run, where the model dominates. The explorer, whose fits are small and must be quick,
 * keeps the pool's two.
 */
export function createClusterFn(options: { signal?: AbortSignal; workers?: number } = {}): Clusterer {
  const workers = createKMeansWorker({ workers: options.workers ?? 1 });
  // Every fit in flight listens to the signal; a 12-layer sweep exceeds Node's default warning level of 10.
  if (options.signal !== undefined) setMaxListeners(256, options.signal);
  return {
    fit: async (patches, kmeansOptions) => {
      const fitOptions =
        options.signal === undefined ? kmeansOptions : { ...kmeansOptions, signal: options.signal };
      const { labels, inertia } = await fitPatches(workers, patches, fitOptions);
      return { labels, inertia };
    },
    concurrency: workers.workers,
    dispose: () => workers.dispose(),
  };
}
