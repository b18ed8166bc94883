import type { PatchMatrix } from "./feature-cache";
import { kmeans } from "./kmeans";
import type { KMeansOptions } from "./kmeans-options";
import type { ClusterFn } from "./segment";

/** A k-means runner for {@link segment}, with a stop. */
export interface Clusterer {
  fit: ClusterFn;
  dispose(): Promise<void>;
}

/** The default clusterer: seglens' k-means. */
export function createClusterFn(): Clusterer {
  return {
    fit: async (matrix: PatchMatrix, options: KMeansOptions) => {
      const { labels, inertia } = await kmeans(matrix.data, matrix.dims, options);
      return { labels, inertia };
    },
    dispose: async () => {},
  };
}
