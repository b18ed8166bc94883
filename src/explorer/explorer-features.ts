/**
 * The explorer's features per model: the model resolved (downloaded, or converted on first use),
 * then every layer's features of the image set extracted once into the shared FeatureCache, with
 * download and conversion progress, and stoppable by cancel.
 */
import { basename } from "node:path";
import { CancelledError } from "../errors";
import type { FeatureCache, PatchSource } from "../features/feature-cache";
import { type PreparedRequest, prepareRequest } from "../features/feature-request";
import { patchFeatures } from "../features/patch-features";
import type { DownloadProgress } from "../hub/hub-download";
import { REPS } from "../vocabulary";
import type { ExplorerStatus } from "./explorer-state";

/** Reports a `loading` status. */
export type ExplorerProgress = (status: Extract<ExplorerStatus, { kind: "loading" }>) => void;

/** One model's features over the image set. */
export interface ModelFeatures {
  request: PreparedRequest;
  /** By feature key (`tokens_L3`). */
  matrices: Map<string, PatchSource>;
  grid: [height: number, width: number];
  numImages: number;
  /** CLS and register tokens before the patches. */
  prefixTokens: number;
}

/** Options of {@link createFeatureLoader}. */
export interface FeatureLoaderOptions {
  images: readonly string[];
  cache: FeatureCache;
  /** The checkpoint file of one catalog model (`explore({ checkpoint })`): used for that model only. */
  checkpoint?: { model: string; path: string };
}

/** Loads and keeps the features of the shown models. */
export interface FeatureLoader {
  /** Whether the features of `model` are kept (a request for it waits for no extraction). */
  has(model: string): boolean;
  /** The features of `model`: kept, being extracted (shared by every request that needs them), or started now. */
  get(model: string): Promise<ModelFeatures>;
  /** Where progress goes: extraction outlives the request that started it, so the newest request's. */
  reportTo(progress: ExplorerProgress): void;
  /** Stops the extraction of other models and forgets their features (the cache may keep the matrices). */
  keepOnly(models: readonly string[]): void;
  /** Stops every extraction in flight; resolves once each has settled (a stopped conversion has removed its files). */
  cancel(reason: Error): Promise<void>;
  clear(): void;
}

/** Creates the feature loader of one explorer engine. */
export function createFeatureLoader(options: FeatureLoaderOptions): FeatureLoader {
  const extracting = new Map<string, { promise: Promise<ModelFeatures>; controller: AbortController }>();
  // Features of the shown models, kept between requests: a K change then costs only k-means (preparing
  // the request and finding the matrices in the cache again took 10–80 ms).
  const ready = new Map<string, ModelFeatures>();
  let report: ExplorerProgress = () => undefined;

  const extract = async (model: string, signal: AbortSignal): Promise<ModelFeatures> => {
    const checkpoint = options.checkpoint?.model === model ? { checkpoint: options.checkpoint.path } : {};
    // What a first-use conversion will take (disk, memory, time), said while its source downloads.
    let conversion: string | undefined;
    const request = await prepareRequest(
      { model, images: options.images, reps: [...REPS], ...checkpoint },
      {
        signal,
        onNote: (note) => {
          conversion = note;
        },
        onProgress: (p) => report(downloadStatus(p, conversion)),
        onConvertProgress: ({ done, total }) =>
          report({
            kind: "loading",
            stage: "convert",
            done,
            total: Math.max(1, total),
            detail: `converting ${model}: ${done} of ${total} blocks`,
          }),
      },
    );
    const { matrices, info } = await patchFeatures(request, options.cache, {
      signal,
      onProgress: (p) => report({ kind: "loading", stage: "features", done: p.done, total: p.total }),
    });
    const { grid, numImages, prefixTokens } = info;
    const result = { request, matrices, grid, numImages, prefixTokens };
    ready.set(model, result);
    return result;
  };

  return {
    has: (model) => ready.has(model),
    get(model) {
      const kept = ready.get(model);
      if (kept !== undefined) return Promise.resolve(kept);
      const running = extracting.get(model);
      if (running !== undefined && !running.controller.signal.aborted) return running.promise;
      const controller = new AbortController();
      // A cancelled extraction of this model may still be removing its files: start after it.
      const previous = running?.promise.then(
        () => undefined,
        () => undefined,
      );
      const promise = (previous ?? Promise.resolve()).then(() => extract(model, controller.signal));
      extracting.set(model, { promise, controller });
      // Once settled the cache serves the matrices: the next call finds them there without inference.
      const forget = () => {
        if (extracting.get(model)?.promise === promise) extracting.delete(model);
      };
      promise.then(forget, forget);
      return promise;
    },
    reportTo(progress) {
      report = progress;
    },
    keepOnly(models) {
      for (const [model, running] of extracting)
        if (!models.includes(model)) running.controller.abort(new CancelledError("model deselected"));
      for (const model of ready.keys()) if (!models.includes(model)) ready.delete(model);
    },
    async cancel(reason) {
      const stopped = [...extracting.values()].map(({ promise, controller }) => {
        controller.abort(reason);
        return promise.then(
          () => undefined,
          () => undefined,
        );
      });
      await Promise.all(stopped);
    },
    clear() {
      ready.clear();
    },
  };
}

/**
 * A download's progress as a status: bytes, with the file and megabytes in words, followed by the
 * conversion that comes after it, if one does.
 */
function downloadStatus(
  p: DownloadProgress,
  conversion: string | undefined,
): Extract<ExplorerStatus, { kind: "loading" }> {
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)}`;
  const known = p.totalBytes !== undefined && p.totalBytes >= 1;
  const total = known ? (p.totalBytes as number) : 1;
  const size = known ? `${mb(p.doneBytes)} of ${mb(total)} MB` : `${mb(p.doneBytes)} MB`;
  const then = conversion === undefined ? "" : `; then ${conversion}`;
  return {
    kind: "loading",
    stage: "download",
    done: known ? Math.min(p.doneBytes, total) : 0,
    total,
    detail: `downloading ${basename(p.file)}: ${size}${then}`,
  };
}
