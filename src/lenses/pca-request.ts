/** The PCA lens over a model and an image set: features (cached) → one joint PCA per (rep, layer). */
import type { ExtractProgress } from "../features/extract-features";
import { createFeatureCache, type FeatureCache, type PatchSource } from "../features/feature-cache";
import { type FeatureRequest, type PreparedRequest, prepareRequest } from "../features/feature-request";
import { patchFeatures } from "../features/patch-features";
import { readPatches } from "../features/patch-store";
import { featureKey } from "../features/selection";
import { type PcaLayer, type PcaOptions, pcaLayers } from "./pca";

/** Options of {@link pcaMaps}: which features, and the PCA's options. */
export interface PcaMapsOptions extends FeatureRequest, PcaOptions {
  /** Reuse features across calls (and with `segment`); default a fresh in-memory cache. */
  cache?: FeatureCache;
  signal?: AbortSignal;
  onProgress?: (progress: ExtractProgress) => void;
}

/** The PCA of every requested (rep, layer) of one model over an image set. */
export interface PcaMaps {
  request: PreparedRequest;
  grid: [height: number, width: number];
  /** Per `rep_L<l>`: the PCA of that layer's `[images · gh · gw, d]` patch rows. */
  layers: Map<string, PcaLayer>;
}

/**
 * Runs the model where the cache lacks features and fits one joint PCA per (rep, layer), layers
 * of a representation in depth order so each component keeps its sign through depth. Layer 0 has
 * tokens only.
 *
 * @example
 * const { layers, grid } = await pcaMaps({ model: "dinov2-small", images: ["photos/"], reps: "tokens" });
 * layers.get("tokens_L12")?.rgb; // uint8 [images · gh · gw, 3]
 */
export async function pcaMaps(options: PcaMapsOptions): Promise<PcaMaps> {
  const request = await prepareRequest(
    options,
    options.signal === undefined ? {} : { signal: options.signal },
  );
  const cache = options.cache ?? createFeatureCache();
  const { matrices, info } = await patchFeatures(request, cache, options);
  const pcaOptions: PcaOptions = {
    ...(options.foreground === undefined ? {} : { foreground: options.foreground }),
    ...(options.engine === undefined ? {} : { engine: options.engine }),
  };
  const layers = new Map<string, PcaLayer>();
  for (const rep of request.reps) {
    // Depth order, whatever order the layers were named in: each layer's signs follow the one above.
    const keys = [...new Set(request.layers)]
      .sort((a, b) => a - b)
      .filter((l) => l > 0 || rep === "tokens")
      .map((l) => featureKey(rep, l));
    const fitted = await pcaLayers(
      keys.map((key) => readPatches(matrices.get(key) as PatchSource)),
      pcaOptions,
    );
    for (const [i, key] of keys.entries()) layers.set(key, fitted[i] as PcaLayer);
  }
  return { request, grid: info.grid, layers };
}
