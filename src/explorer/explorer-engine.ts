/**
 * The explorer's computation (the data flow of ARCHITECTURE.md): models and images → features
 * (once per model and image set, in one shared FeatureCache) → one joint k-means per layer → labels
 * aligned through depth and across models → metrics → one {@link ExplorerFrame}. A request
 * re-enters at the latest stage it affects because every earlier stage is served from the cache.
 */
import { basename } from "node:path";
import { CancelledError, InputError } from "../errors";
import { createFeatureCache, type FeatureCache, type PatchSource } from "../features/feature-cache";
import type { PreparedRequest } from "../features/feature-request";
import { featureKey } from "../features/selection";
import { decodeImage } from "../images/decode-image";
import { modelView } from "../images/preprocess";
import type { RgbImage } from "../images/rgb-image";
import { createKMeansWorker, type KMeansWorker } from "../kmeans/kmeans-client";
import { alignSequence } from "../segmentation/align-labels";
import { alignModels } from "../segmentation/align-models";
import { fitPatches } from "../segmentation/cluster";
import { commonGrid, resampleLabels } from "../segmentation/label-grid";
import { mapScores } from "../segmentation/metrics";
import type { KMeansNormalize, Rep } from "../vocabulary";
import { createFeatureLoader, type ExplorerProgress, type ModelFeatures } from "./explorer-features";
import { shownBlocks } from "./explorer-layers";
import type { BinaryArray, ExplorerFrame, LayerMetrics } from "./explorer-state";

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
}

/** Frames kept per engine: every K of two settings (a frame of ViT-S × 8 images is 19 KB). */
const FRAME_CACHE_SIZE = 64;

/** A computed frame with what the view needs beside it. */
export interface ExplorerResult {
  frame: ExplorerFrame;
  /** `[1, depth]`, depth = the first model's (the others are matched by relative depth). */
  layerBounds: [min: number, max: number];
  layerRange: [first: number, last: number];
  imageNames: string[];
  /** The model views of the first model, once per input size (`undefined` when unchanged). */
  images: BinaryArray<"uint8"> | undefined;
  /** The same views as images, for the static PNG. */
  views: RgbImage[];
}

/** Computes frames; owns the feature cache and the k-means threads. */
export interface ExplorerEngine {
  compute(request: ExplorerRequest, signal: AbortSignal, progress: ExplorerProgress): Promise<ExplorerResult>;
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
  /** Finished frames kept for requests seen again; default 64, 0 keeps none (benchmarks). */
  frameCacheSize?: number;
  /** The checkpoint file of one catalog model, used for that model only (`explore({ checkpoint })`). */
  checkpoint?: { model: string; path: string };
}

/** Throws a CancelledError when `signal` is aborted. */
function checkSignal(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError("superseded or cancelled", { cause: signal.reason });
}

/** `promise`, or a CancelledError as soon as `signal` aborts (the promise itself runs on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  checkSignal(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError("superseded or cancelled", { cause: signal.reason }));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
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
  // Finished frames by request, newest last: a K seen before (or precomputed while idle) is served
  // without k-means.
  const frames = new Map<string, ExplorerFrame>();
  let viewsKey: string | undefined;
  let views: RgbImage[] = [];

  const modelViews = async (request: PreparedRequest): Promise<BinaryArray<"uint8"> | undefined> => {
    const key = JSON.stringify([request.images, request.preprocess.outputSize, request.preprocess]);
    if (key === viewsKey) return undefined;
    views = await Promise.all(
      request.images.map(async (p) =>
        modelView(await decodeImage(p, request.preprocess), request.preprocess),
      ),
    );
    viewsKey = key;
    const [height, width] = request.preprocess.outputSize;
    const buffer = new Uint8Array(views.length * height * width * 3);
    views.forEach((view, i) => {
      buffer.set(view.data, i * height * width * 3);
    });
    return { dtype: "uint8", shape: [views.length, height, width, 3], buffer };
  };

  return {
    async compute(request, signal, progress) {
      loader.reportTo(progress);
      loader.keepOnly(request.models);
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
      const images = await untilAborted(modelViews(first.request), signal);
      const result = (frame: ExplorerFrame): ExplorerResult => ({
        frame,
        layerBounds: [1, depths[0] as number],
        layerRange: [layers[0] as number, layers.at(-1) as number],
        imageNames: first.request.images.map((p) => basename(p)),
        images,
        views,
      });
      const key = JSON.stringify([request.models, request.k, request.rep, modelLayers, request.normalize]);
      const cached = frames.get(key);
      if (cached !== undefined) {
        frames.delete(key); // most recently used last
        frames.set(key, cached);
        return result(cached);
      }
      kmeans ??= createKMeansWorker();
      const total = sets.length * layers.length;
      let done = 0;
      progress({ kind: "loading", stage: "kmeans", done, total });
      const fitsPerModel = await Promise.all(
        sets.map((set, m) =>
          Promise.all(
            (modelLayers[m] as number[]).map(async (layer) => {
              const patches = set.matrices.get(featureKey(request.rep, layer)) as PatchSource;
              const fit = await fitPatches(kmeans as KMeansWorker, patches, {
                k: request.k,
                normalize: request.normalize,
                ...(options.restarts === undefined ? {} : { restarts: options.restarts }),
                signal,
              });
              progress({ kind: "loading", stage: "kmeans", done: ++done, total });
              return fit.labels;
            }),
          ),
        ),
      );
      checkSignal(signal);
      progress({ kind: "loading", stage: "metrics", done: 0, total });
      const frame = assembleFrame(request, fitsPerModel, layers, sets);
      frame.model_layers = modelLayers;
      frames.set(key, frame);
      while (frames.size > (options.frameCacheSize ?? FRAME_CACHE_SIZE))
        frames.delete(frames.keys().next().value as string);
      return result(frame);
    },
    cancelFeatures() {
      return loader.cancel(new CancelledError("cancelled"));
    },
    async dispose() {
      await this.cancelFeatures();
      loader.clear();
      frames.clear();
      await kmeans?.dispose();
      kmeans = undefined;
      if (options.cache === undefined) cache.clear();
    },
  };
}

/**
 * Aligns labels through depth (per model), scores them on each model's own grid, draws them on the
 * models' common grid, aligns the models to the first there, and packs uint8.
 */
function assembleFrame(
  request: ExplorerRequest,
  fitsPerModel: Int32Array[][],
  layers: number[],
  sets: readonly ModelFeatures[],
): ExplorerFrame {
  const grids = sets.map((set) => set.grid);
  const [gh, gw] = commonGrid(grids);
  const n = (sets[0] as ModelFeatures).numImages;
  const perMap = n * gh * gw;
  const buffer = new Uint8Array(sets.length * layers.length * perMap);
  const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
  const throughDepth = fitsPerModel.map((fits) => alignSequence(fits, request.k));
  const shown = alignModels(
    throughDepth.map((columns, m) => ({ columns, grid: grids[m] as [number, number], k: request.k })),
    n,
  );
  const metrics: LayerMetrics[][] = throughDepth.map((aligned, m) => {
    const grid = grids[m] as [number, number];
    return aligned.map((labels, l) => {
      buffer.set(
        resampleLabels(shown[m]?.[l] as Int32Array, n, grid, [gh, gw]),
        (m * layers.length + l) * perMap,
      );
      // Scores do not depend on label ids, so they come from the labels before relabelling.
      const scores = mapScores({ labels, dims: [n, grid[0], grid[1]], k: request.k });
      return { pb: finite(scores.pb), lc: finite(scores.lc), ba: finite(scores.ba) };
    });
  });
  return {
    models: [...request.models],
    rep: request.rep,
    k: request.k,
    layers,
    images: Array.from({ length: n }, (_, i) => i),
    grid: [gh, gw],
    model_grids: grids.map(([h, w]) => [h, w]),
    labels: { dtype: "uint8", shape: [sets.length, layers.length, n, gh, gw], buffer },
    metrics,
  };
}
