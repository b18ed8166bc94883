/**
 * The explorer's computation (the data flow of ARCHITECTURE.md): models and images → features
 * (once per model and image set, in one shared FeatureCache) → one joint k-means per layer over
 * the whole image set → labels aligned through depth and across models → metrics → one
 * {@link Clustering} per setting → the {@link ExplorerFrame} of the shown page. A request re-enters
 * at the latest stage it affects because every earlier stage is served from a cache: a page
 * change only cuts another frame from the kept clustering.
 */
import { basename } from "node:path";
import { CancelledError, InputError } from "../errors";
import { createFeatureCache, type FeatureCache, type PatchSource } from "../features/feature-cache";
import { featureKey } from "../features/selection";
import type { RgbImage } from "../images/rgb-image";
import { createKMeansWorker, type KMeansWorker } from "../kmeans/kmeans-client";
import { fitPatches } from "../segmentation/cluster";
import { checkSignal, untilAborted } from "../util/abortable";
import { createLruCache } from "../util/lru-cache";
import { checkPageSize, type Page, pageCount, pageOf } from "../util/paging";
import { DEFAULT_PAGE_SIZE, EXPLORER_LIMITS, type KMeansNormalize, type Lens, type Rep } from "../vocabulary";
import { createFeatureLoader, type ExplorerProgress, type ModelFeatures } from "./explorer-features";
import {
  type Clustering,
  clusteringBytes,
  clusteringOf,
  firstLayersFrame,
  pageFrame,
} from "./explorer-frames";
import { shownBlocks } from "./explorer-layers";
import {
  attentionLensMaps,
  createAttentionSource,
  type LensMaps,
  lensMapsBytes,
  lensPageFrame,
  pcaLensMaps,
} from "./explorer-lenses";
import type { AttentionHead, BinaryArray, ExplorerFrame } from "./explorer-state";
import { createViewSource } from "./explorer-views";

export type { ExplorerProgress } from "./explorer-features";

/** What one frame is computed from: the explorer's controls that affect clustering. */
export interface ExplorerRequest {
  models: string[];
  k: number;
  rep: Rep;
  /** Inclusive, in the first model's blocks; `undefined` = all of them. */
  layerRange: [first: number, last: number] | undefined;
  /** Fractions of each model's depth (see `shownBlocks`); when given, `layerRange` is not used. */
  depths?: readonly number[];
  normalize: KMeansNormalize;
  /**
   * The page of images the frame shows, 0-based (default 0); past the last page, the last. Only
   * the frame depends on it: k-means always clusters the whole image set.
   */
  page?: number;
  /** Images a page, 1..64; default 12. */
  pageSize?: number;
  /** What the panels show; default `clusters` (`k` and `normalize` matter to it alone). */
  lens?: Lens;
  /** The attention lens's head; default the mean over the heads. */
  head?: AttentionHead;
  /**
   * A quick frame is enough: when the setting's clustering is not kept yet, cluster with
   * {@link PROVISIONAL_KMEANS} and mark the frame provisional (it is not kept; the refined one,
   * computed by a request without this flag, replaces it).
   */
  provisional?: boolean;
}

/**
 * k-means of a provisional frame: one restart of 8 iterations at most on 768 sampled patches, then
 * every patch assigned, no inertia — a tenth of the full fit's work or less, so a K slider move
 * shows its clusters at once; the refined frame (the library's defaults, as `seglens segment`) follows.
 */
export const PROVISIONAL_KMEANS = Object.freeze({
  restarts: 1,
  maxIter: 8,
  fitSampleSize: 768,
  sampleSize: 768,
  inertia: false,
});

/**
 * Clusterings and page frames kept per engine: every K of two settings, so a K seen before (or
 * precomputed while idle) is served without k-means. A frame holds one page (ViT-S × 12 images:
 * 28 KB); a clustering the whole set's labels, 1 byte per patch (ViT-S × 400 images: 0.9 MB).
 */
const FRAME_CACHE_SIZE = 64;
/** Bytes of clusterings kept at most, whatever the number of images. */
const CLUSTERING_CACHE_BYTES = 128 * 1024 * 1024;

/** A computed frame with what the view needs beside it. */
export interface ExplorerResult {
  frame: ExplorerFrame;
  /** `[1, depth]`, depth = the first model's (the others are matched by relative depth). */
  layerBounds: [min: number, max: number];
  layerRange: [first: number, last: number];
  imageNames: string[];
  /** The page shown (`page.index` may be below the requested page when that was past the end). */
  page: Page;
  /**
   * The first model's views of the page's images, RGB `[page images, height, width, 3]`: the same
   * object while the page, image set and input size stay (`undefined`: none).
   */
  images: BinaryArray<"uint8"> | undefined;
  /** The same views as images, in page order, for the static PNG. */
  views: RgbImage[];
  /** Attention heads of the first model, once the attention lens has extracted its rows. */
  heads?: number;
}

/**
 * Called with a frame of the first layers while the others are still being clustered (their
 * columns zero, `frame.layers_ready` the count): once, on a provisional request that had to wait
 * for features, so the first picture appears before the whole clustering.
 */
export type PartialFrame = (result: ExplorerResult) => void;

/** Computes frames; owns the feature cache and the k-means threads. */
export interface ExplorerEngine {
  compute(
    request: ExplorerRequest,
    signal: AbortSignal,
    progress: ExplorerProgress,
    onPartial?: PartialFrame,
  ): Promise<ExplorerResult>;
  /**
   * Stops feature extraction in flight, with the download or conversion of its model (cancel);
   * cached features stay. Resolves once the stopped work has settled and cleaned up.
   */
  cancelFeatures(): Promise<void>;
  dispose(): Promise<void>;
}

/** Options of {@link createExplorerEngine}. */
export interface ExplorerEngineOptions {
  /** Image files or folders, as `features()` takes them. */
  images: readonly string[];
  /** Default a fresh cache, cleared by `dispose()` (a given cache is left as it is). */
  cache?: FeatureCache;
  /** k-means restarts per fit; default the library default. */
  restarts?: number;
  /** Clusterings and frames kept for requests seen again; default 64, 0 keeps none (benchmarks). */
  frameCacheSize?: number;
  /** The checkpoint file of one catalog model, used for that model only (`explore({ checkpoint })`). */
  checkpoint?: { model: string; path: string };
}

/**
 * The page `request` asks for among `numImages` images; a page past the end (the page size grew)
 * is the last one. Throws an OptionRangeError/OptionTypeError for a bad page or page size.
 */
export function shownPage(numImages: number, request: Pick<ExplorerRequest, "page" | "pageSize">): Page {
  const size = checkPageSize(request.pageSize ?? DEFAULT_PAGE_SIZE, EXPLORER_LIMITS.maxPageSize);
  const page = request.page ?? 0;
  const last = pageCount(numImages, size) - 1;
  return pageOf(numImages, size, typeof page === "number" && page > last ? last : page);
}

/** Creates the engine of one explorer widget. */
export function createExplorerEngine(options: ExplorerEngineOptions): ExplorerEngine {
  const cache = options.cache ?? createFeatureCache();
  let kmeans: KMeansWorker | undefined;
  const loader = createFeatureLoader({
    images: options.images,
    cache,
    ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
  });
  const maxEntries = options.frameCacheSize ?? FRAME_CACHE_SIZE;
  // By setting: the whole set's labels, from which every page's frame is cut without k-means.
  const clusterings = createLruCache<Clustering>({
    maxEntries,
    maxBytes: CLUSTERING_CACHE_BYTES,
    sizeOf: clusteringBytes,
  });
  // The other lenses' colours of the whole set, by setting, and cut into page frames as clusterings are.
  const lensMaps = createLruCache<LensMaps>({
    maxEntries,
    maxBytes: CLUSTERING_CACHE_BYTES,
    sizeOf: lensMapsBytes,
  });
  // By setting and page: the frames sent, so a request seen again gets the very same frame.
  const frames = createLruCache<ExplorerFrame>({ maxEntries });
  const views = createViewSource();
  const attention = createAttentionSource();

  return {
    async compute(request, signal, progress, onPartial) {
      const started = performance.now();
      if (kmeans === undefined) {
        kmeans = createKMeansWorker();
        // Its start-up overlaps the features' extraction; a failure shows in the first real fit.
        kmeans.warmUp().catch(() => undefined);
      }
      loader.reportTo(progress);
      loader.keepOnly(request.models);
      const cold = request.models.some((model) => !loader.has(model));
      const sets: ModelFeatures[] = [];
      for (const model of request.models) sets.push(await untilAborted(loader.get(model), signal));
      const first = sets[0];
      if (first === undefined) throw new InputError("no model selected: choose 1 to 3 models");
      // Columns are the first model's blocks; other models show theirs at the same relative depth.
      const depths = sets.map((s) => s.request.tapped.taps.blocks.length);
      const { layers, modelLayers } = shownBlocks(depths, {
        range: request.layerRange,
        depths: request.depths,
      });
      const page = shownPage(first.numImages, request);
      // The page's images decode while k-means runs (a first frame waited ~0.2 s for 16 of them).
      const viewsReady = untilAborted(views.get(first.request, page), signal);
      viewsReady.catch(() => undefined); // awaited below; k-means may fail first
      let heads: number | undefined;
      const result = async (frame: ExplorerFrame): Promise<ExplorerResult> => {
        const shownViews = await viewsReady;
        return {
          // The kernel's time for this request, also when the frame itself comes from the cache.
          frame: { ...frame, timing: { compute_ms: Math.round(performance.now() - started) } },
          layerBounds: [1, depths[0] as number],
          layerRange: [layers[0] as number, layers.at(-1) as number],
          imageNames: first.request.images.map((p) => basename(p)),
          page,
          images: shownViews.array,
          views: shownViews.images,
          ...(heads === undefined ? {} : { heads }),
        };
      };
      const lens = request.lens ?? "clusters";
      if (lens !== "clusters") {
        const head = lens === "attention" ? (request.head ?? "mean") : null;
        const key = JSON.stringify([request.models, lens, request.rep, modelLayers, head]);
        const frameKey = JSON.stringify([key, page.start, page.end]);
        const cachedFrame = frames.get(frameKey);
        if (cachedFrame !== undefined) return result(cachedFrame);
        let maps = lensMaps.get(key);
        if (maps === undefined) {
          const { models, rep, k } = request;
          const grids = sets.map((s) => s.grid);
          const input = { models, rep, k, layers, modelLayers, grids, numImages: first.numImages };
          progress({ kind: "loading", stage: "lens", done: 0, total: 1 });
          if (lens === "pca") {
            const sources = sets.map((set, m) =>
              (modelLayers[m] as number[]).map(
                (layer) => set.matrices.get(featureKey(rep, layer)) as PatchSource,
              ),
            );
            maps = lensMaps.set(key, await pcaLensMaps(input, sources, signal));
          } else {
            const rows = await Promise.all(
              sets.map((set, m) => attention.get(models[m] as string, set, signal, progress)),
            );
            heads = rows[0]?.heads;
            maps = lensMaps.set(key, attentionLensMaps(input, rows, request.head ?? "mean"));
          }
        }
        return result(frames.set(frameKey, lensPageFrame(maps, page)));
      }
      const key = JSON.stringify([request.models, request.k, request.rep, modelLayers, request.normalize]);
      const frameKey = JSON.stringify([key, page.start, page.end]);
      const cachedFrame = frames.get(frameKey);
      if (cachedFrame !== undefined) return result(cachedFrame);
      const cached = clusterings.get(key);
      if (cached !== undefined) return result(frames.set(frameKey, pageFrame(cached, page)));
      const provisional = request.provisional === true;
      // A provisional clustering takes tens of ms: progress messages would only make the front end
      // re-render (and the server relay) while the cores are needed for it.
      const report: ExplorerProgress = provisional ? () => undefined : progress;
      const total = sets.length * layers.length;
      let done = 0;
      report({ kind: "loading", stage: "kmeans", done, total });
      const { models, rep, k } = request;
      const grids = sets.map((s) => s.grid);
      const input = { models, rep, k, layers, modelLayers, grids, numImages: first.numImages };
      const partial =
        provisional && cold && onPartial !== undefined && layers.length > 1
          ? firstLayersFrame(input, page, (frame) => void result(frame).then(onPartial, () => undefined))
          : undefined;
      const fitsPerModel = await Promise.all(
        sets.map((set, m) =>
          Promise.all(
            (modelLayers[m] as number[]).map(async (layer, column) => {
              const key = featureKey(request.rep, layer);
              const patches = set.matrices.get(key) as PatchSource;
              const fit = await fitPatches(kmeans as KMeansWorker, patches, {
                k: request.k,
                normalize: request.normalize,
                ...(options.restarts === undefined ? {} : { restarts: options.restarts }),
                ...(provisional ? PROVISIONAL_KMEANS : {}),
                dataKey: `${request.models[m]} ${key}`,
                signal,
              });
              report({ kind: "loading", stage: "kmeans", done: ++done, total });
              if (!signal.aborted) partial?.fitted(m, column, fit.labels);
              return fit.labels;
            }),
          ),
        ),
      );
      checkSignal(signal);
      report({ kind: "loading", stage: "metrics", done: 0, total });
      const clustering = clusteringOf(input, fitsPerModel, { scores: !provisional });
      if (provisional) return result({ ...pageFrame(clustering, page), provisional: true });
      clusterings.set(key, clustering);
      return result(frames.set(frameKey, pageFrame(clustering, page)));
    },
    cancelFeatures() {
      return loader.cancel(new CancelledError("cancelled"));
    },
    async dispose() {
      await this.cancelFeatures();
      loader.clear();
      clusterings.clear();
      lensMaps.clear();
      attention.clear();
      frames.clear();
      views.clear();
      await kmeans?.dispose();
      kmeans = undefined;
      if (options.cache === undefined) cache.clear();
    },
  };
}
