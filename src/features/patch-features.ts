import type { Rep } from "../vocabulary";
import { type ExtractOptions, type ExtractProgress, extractFeatures, imagePixels } from "./extract-features";
import {
  type FeatureCache,
  type FeatureSetInfo,
  featureKeys,
  type PatchMatrix,
  patchMatrix,
} from "./feature-cache";
import type { FeatureJournal } from "./feature-journal";
import type { PreparedRequest } from "./feature-request";
import { featureKey } from "./selection";

/** How the features of {@link patchFeatures} are computed when they are not cached. */
export interface PatchFeatureOptions extends Pick<ExtractOptions, "threads" | "ep"> {
  signal?: AbortSignal;
  onProgress?: (progress: ExtractProgress) => void;
}

/**
 * Patch matrices for every (rep, layer), from the cache or extracted (only what is missing); the
 * explorer shares it. With an on-disk cache, finished images are journaled while extracting, so an
 * interrupted run resumes; the journal is dropped once the whole matrices are cached.
 */
export async function patchFeatures(
  request: PreparedRequest,
  cache: FeatureCache,
  options: PatchFeatureOptions,
): Promise<{ matrices: Map<string, PatchMatrix>; info: FeatureSetInfo }> {
  const keys = await featureKeys(request);
  const { setKey } = keys;
  const matrices = new Map<string, PatchMatrix>();
  const missing = new Set<Rep>();
  const missingLayers = new Set<number>();
  for (const rep of request.reps) {
    for (const layer of request.layers) {
      if (layer === 0 && rep !== "tokens") continue;
      const cached = cache.get(setKey, featureKey(rep, layer));
      if (cached !== undefined) matrices.set(featureKey(rep, layer), cached);
      else {
        missing.add(rep);
        missingLayers.add(layer);
      }
    }
  }
  let info = cache.info(setKey);
  if (info === undefined) {
    // Shapes unknown (a cache without its set.json): extract everything asked for.
    for (const rep of request.reps) missing.add(rep);
    for (const layer of request.layers) missingLayers.add(layer);
  }
  if (missing.size > 0) {
    const journal = cache.journal?.(keys);
    const extracted = await extractPatchMatrices(request, [...missing], [...missingLayers], {
      ...options,
      ...(journal === undefined ? {} : { journal }),
    });
    info = extracted.info;
    cache.setInfo(setKey, info);
    for (const [key, matrix] of extracted.matrices) {
      cache.put(setKey, key, matrix);
      if (!matrices.has(key)) matrices.set(key, matrix);
    }
    journal?.clear();
  }
  return { matrices, info: info as FeatureSetInfo };
}

/**
 * Runs the model and keeps only the patch rows of every batch (prefix tokens dropped on arrival),
 * so the whole `[images, tokens, hidden]` arrays never sit in memory beside the matrices.
 */
async function extractPatchMatrices(
  request: PreparedRequest,
  reps: Rep[],
  layers: number[],
  options: PatchFeatureOptions & { journal?: FeatureJournal },
): Promise<{ matrices: Map<string, PatchMatrix>; info: FeatureSetInfo }> {
  const matrices = new Map<string, PatchMatrix>();
  const report = await extractFeatures(
    request.tapped,
    {
      inputs: imagePixels(request.images, request.preprocess),
      layers: layers.sort((a, b) => a - b),
      reps,
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.ep === undefined ? {} : { ep: options.ep }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.journal === undefined ? {} : { journal: options.journal }),
    },
    (batch, layout) => {
      const patches = layout.tokens - layout.prefixTokens;
      let matrix = matrices.get(batch.key);
      if (matrix === undefined) {
        const rows = layout.numImages * patches;
        matrix = { data: new Float32Array(rows * layout.hiddenSize), dims: [rows, layout.hiddenSize] };
        matrices.set(batch.key, matrix);
      }
      const part = patchMatrix(batch.data, batch.dims, layout.prefixTokens);
      matrix.data.set(part.data, batch.firstImage * patches * layout.hiddenSize);
    },
  );
  const { numImages, hiddenSize, prefixTokens, grid } = report.layout;
  return { matrices, info: { numImages, grid, prefixTokens, hiddenSize } };
}
