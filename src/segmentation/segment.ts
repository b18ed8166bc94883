import type { ExtractProgress } from "../features/extract-features";
import {
  createFeatureCache,
  type FeatureCache,
  type FeatureSetInfo,
  type PatchSource,
} from "../features/feature-cache";
import { type FeatureRequest, type PreparedRequest, prepareRequest } from "../features/feature-request";
import { patchFeatures } from "../features/patch-features";
import type { RunMeta } from "../features/run-meta";
import { featureKey } from "../features/selection";
import { openStoredFeatures } from "../features/stored-features";
import type { PreprocessConfig } from "../images/preprocess-config";
import type { KMeansOptions } from "../kmeans/kmeans-options";
import { mapConcurrently } from "../util/concurrently";
import { DEFAULT_K, type KMeansNormalize, type Rep } from "../vocabulary";
import { alignSequence } from "./align-labels";
import { type Clusterer, type ClusterFn, createClusterFn } from "./cluster";

export type { ClusterFn } from "./cluster";

import { type LabelMaps, type MapScores, mapScores } from "./metrics";
import { loadMasks, miou } from "./miou";

/** Scores of one (rep, layer): PB, LC, BA, and mIoU when masks were given. */
export interface LayerScores extends MapScores {
  miou?: number;
  miouManyToOne?: number;
}

/** Options of {@link segment}. */
export interface SegmentOptions extends FeatureRequest {
  k?: number;
  seed?: number;
  normalize?: KMeansNormalize;
  restarts?: number;
  maxIter?: number;
  /** Above this many patches, k-means fits a seeded sample of this size and assigns every patch (default 32,768). */
  fitSampleSize?: number;
  /** Folder of ground-truth masks (PNG per image, same base name; 255 = ignore). */
  masks?: string;
  /** Reuse features across calls; default a fresh in-memory cache. */
  cache?: FeatureCache;
  /** Default: seglens' k-means worker pool, started and stopped by this call. */
  cluster?: ClusterFn;
  signal?: AbortSignal;
  onProgress?: (progress: ExtractProgress | { stage: "cluster"; done: number; total: number }) => void;
}

/** Joint k-means label maps for every requested (rep, layer), aligned through depth, with scores. */
export interface Segmentation extends ClusteredLayers {
  request: PreparedRequest;
}

/** What clustering a feature set gives, whether the features were extracted or read from folders. */
export interface ClusteredLayers {
  grid: [height: number, width: number];
  k: number;
  /** Per `rep_L<l>`: int32 `[images, gh, gw]`. */
  labels: Map<string, Int32Array>;
  /** Per `rep_L<l>`: sum of squared distances to the assigned centroid (as clustered). */
  inertia: Map<string, number>;
  scores: Map<string, LayerScores>;
  prefixTokens: number;
  hiddenSize: number;
}

/**
 * Runs the protocol (ARCHITECTURE.md, Data flow): features (cached), one joint k-means per (rep,
 * layer), labels aligned layer to layer within each representation, and the chance-corrected scores.
 * Memory does not grow with the image count: features past the cache's memory budget stay on disk,
 * and k-means reads them a sample and a chunk at a time.
 */
export async function segment(options: SegmentOptions): Promise<Segmentation> {
  return withClusterer(options, async (clusterer) => {
    const request = await prepareRequest(
      options,
      options.signal === undefined ? {} : { signal: options.signal },
    );
    const cache = options.cache ?? createFeatureCache();
    const { matrices, info } = await patchFeatures(request, cache, options);
    const masks =
      options.masks === undefined
        ? undefined
        : await loadMasks(options.masks, request.images, request.preprocess);
    const clustered = await clusterLayers(matrices, info, request, masks, options, clusterer);
    return { request, ...clustered };
  });
}

/** Options of {@link segmentStored}: the clustering options of {@link segment}. */
export type SegmentStoredOptions = Omit<SegmentOptions, keyof FeatureRequest | "cache">;

/** A segmentation of features read from `seglens features` folders. */
export interface StoredSegmentation extends ClusteredLayers {
  /** The feature set's meta.json (shards joined). */
  meta: RunMeta;
}

/**
 * Clusters the features stored in `dirs` (one `seglens features` folder, or all shards of one)
 * without running the model; the .npy files are read in place, a sample and a chunk at a time.
 */
export async function segmentStored(
  dirs: readonly string[],
  options: SegmentStoredOptions = {},
): Promise<StoredSegmentation> {
  const { meta, info, sources } = openStoredFeatures(dirs);
  return withClusterer(options, async (clusterer) => {
    const preprocess = meta.provenance.preprocessing as PreprocessConfig;
    const masks =
      options.masks === undefined ? undefined : await loadMasks(options.masks, meta.images, preprocess);
    const clustered = await clusterLayers(sources, info, meta, masks, options, clusterer);
    return { meta, ...clustered };
  });
}

async function withClusterer<T>(
  options: Pick<SegmentOptions, "cluster" | "signal">,
  run: (clusterer: Pick<Clusterer, "fit" | "concurrency">) => Promise<T>,
): Promise<T> {
  if (options.cluster !== undefined) return run({ fit: options.cluster, concurrency: 2 });
  const clusterer = createClusterFn(options.signal === undefined ? {} : { signal: options.signal });
  try {
    return await run(clusterer);
  } finally {
    await clusterer.dispose();
  }
}

/** One joint k-means per (rep, layer) of `set`, aligned through depth within each representation, and scored. */
async function clusterLayers(
  sources: ReadonlyMap<string, PatchSource>,
  info: FeatureSetInfo,
  set: { reps: readonly Rep[]; layers: readonly number[] },
  masks: Awaited<ReturnType<typeof loadMasks>> | undefined,
  options: SegmentStoredOptions,
  clusterer: Pick<Clusterer, "fit" | "concurrency">,
): Promise<ClusteredLayers> {
  const k = options.k ?? DEFAULT_K;
  const [gh, gw] = info.grid;
  const labels = new Map<string, Int32Array>();
  const inertia = new Map<string, number>();
  const scores = new Map<string, LayerScores>();
  const kmeansOptions: KMeansOptions = {
    k,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.normalize === undefined ? {} : { normalize: options.normalize }),
    ...(options.restarts === undefined ? {} : { restarts: options.restarts }),
    ...(options.maxIter === undefined ? {} : { maxIter: options.maxIter }),
    ...(options.fitSampleSize === undefined ? {} : { fitSampleSize: options.fitSampleSize }),
  };
  let done = 0;
  for (const rep of set.reps) {
    const keys = set.layers.filter((l) => l > 0 || rep === "tokens").map((l) => featureKey(rep, l));
    // As many fits at once as the k-means pool runs: each holds only its sample and chunk.
    const fits = await mapConcurrently(keys, clusterer.concurrency, async (key) => {
      const fit = await clusterer.fit(sources.get(key) as PatchSource, kmeansOptions);
      options.onProgress?.({ stage: "cluster", done: ++done, total: sources.size });
      return fit;
    });
    const raw = fits.map((fit) => fit.labels);
    for (const [i, fit] of fits.entries()) inertia.set(keys[i] as string, fit.inertia);
    alignSequence(raw, k).forEach((aligned, i) => {
      const key = keys[i] as string;
      labels.set(key, aligned);
      const maps: LabelMaps = { labels: aligned, dims: [info.numImages, gh, gw], k };
      const layerScores: LayerScores = mapScores(maps, { seed: options.seed ?? 0 });
      if (masks !== undefined) {
        const truth = miou(maps, masks);
        layerScores.miou = truth.miou;
        if (truth.miouManyToOne !== undefined) layerScores.miouManyToOne = truth.miouManyToOne;
      }
      scores.set(key, layerScores);
    });
  }
  return {
    grid: [gh, gw],
    k,
    labels,
    inertia,
    scores,
    prefixTokens: info.prefixTokens,
    hiddenSize: info.hiddenSize,
  };
}
