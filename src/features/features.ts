import type { DownloadProgress } from "../hub/hub-download";
import { type ExtractProgress, imagePixels } from "./extract-features";
import { type FeatureRequest, prepareRequest } from "./feature-request";
import { collectFeatures, type FeatureSet } from "./feature-set";

/** Options of {@link features}: what to extract, plus progress and cancellation. */
export interface FeaturesOptions extends FeatureRequest {
  signal?: AbortSignal;
  onProgress?: (progress: ExtractProgress) => void;
  /** Progress of a Hub download, per file, in bytes (catalog and Hub ids that are not cached). */
  onDownload?: (progress: DownloadProgress) => void;
}

/**
 * Every requested layer's tokens, q, k, v for a set of images, in memory: the programmatic
 * counterpart of `seglens features`. Inference runs in a worker thread.
 *
 * @example
 * const set = await features({ model: "models/fixtures/dinov2-tf4", images: ["models/samples"] });
 * set.arrays.get("q_L2"); // Float32Array, [images, prefix + gh·gw, hidden] in C order
 * set.layout.grid; // [4, 4]
 *
 * // A catalog id or Hub id is downloaded once into the Hugging Face cache (HF_HUB_CACHE):
 * await features({ model: "dinov2-small", images: ["photos/"], reps: "k" });
 */
export async function features(options: FeaturesOptions): Promise<FeatureSet> {
  const request = await prepareRequest(options, {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onDownload === undefined ? {} : { onProgress: options.onDownload }),
  });
  return collectFeatures(request.tapped, {
    inputs: imagePixels(request.images, request.preprocess),
    layers: request.layers,
    reps: request.reps,
    budgetBytes: request.memoryPlan.batchBudgetBytes,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.ep === undefined ? {} : { ep: options.ep }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.prefixTokens === undefined ? {} : { prefixTokens: options.prefixTokens }),
  });
}
