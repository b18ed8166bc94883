import { InputError } from "../errors";
import type { Rep } from "../vocabulary";
import { type ExtractOptions, type ExtractProgress, extractFeatures, imagePixels } from "./extract-features";
import { type FeatureCache, type FeatureSetInfo, featureKeys } from "./feature-cache";
import type { FeatureJournal } from "./feature-journal";
import type { PreparedRequest } from "./feature-request";
import type { PatchSource, PatchWriter } from "./patch-store";
import { featureKey, missingFeatures } from "./selection";

/** How the features of {@link patchFeatures} are computed when they are not cached. */
export interface PatchFeatureOptions extends Pick<ExtractOptions, "threads" | "ep"> {
  signal?: AbortSignal;
  onProgress?: (progress: ExtractProgress) => void;
}

/**
 * Patch features for every (rep, layer), in memory or on disk (see {@link FeatureCache}), from the
 * cache or extracted (only what is missing); the explorer shares it. With an on-disk cache, finished images are journaled while extracting, so an
 * interrupted run resumes; the journal is dropped once the whole matrices are cached.
 */
export async function patchFeatures(
  request: PreparedRequest,
  cache: FeatureCache,
  options: PatchFeatureOptions,
): Promise<{ matrices: Map<string, PatchSource>; info: FeatureSetInfo }> {
  const keys = await featureKeys(request);
  const { setKey } = keys;
  const matrices = new Map<string, PatchSource>();
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
    const extracted = await extractPatchSources(request, cache, setKey, [...missing], [...missingLayers], {
      ...options,
      ...(journal === undefined ? {} : { journal }),
    });
    info = extracted.info;
    for (const [key, source] of extracted.sources) matrices.set(key, source);
    cache.setInfo(setKey, info);
    journal?.clear();
  }
  // Checked here, not during extraction: features from the cache were never extracted this time.
  const prefixTokens = (info as FeatureSetInfo).prefixTokens;
  if (request.prefixTokens !== undefined && request.prefixTokens !== prefixTokens) {
    throw new InputError(
      `--prefix-tokens ${request.prefixTokens} does not match the model: it has ${prefixTokens} prefix tokens (CLS and registers)`,
    );
  }
  return { matrices, info: info as FeatureSetInfo };
}

/**
 * Runs the model and hands only the patch rows of every batch (prefix tokens dropped on arrival)
 * to the cache's writers: into memory for a set that fits the cache's budget, else straight to
 * disk, so neither the whole `[images, tokens, hidden]` arrays nor, on disk, the matrices sit in
 * memory. A failed or cancelled run discards what its writers hold.
 */
async function extractPatchSources(
  request: PreparedRequest,
  cache: FeatureCache,
  setKey: string,
  reps: Rep[],
  layers: number[],
  options: PatchFeatureOptions & { journal?: FeatureJournal },
): Promise<{ sources: Map<string, PatchSource>; info: FeatureSetInfo }> {
  const writers = new Map<string, PatchWriter>();
  const keyCount = reps.length * layers.length - missingFeatures(layers, reps).length;
  try {
    const report = await extractFeatures(
      request.tapped,
      {
        inputs: imagePixels(request.images, request.preprocess),
        layers: layers.sort((a, b) => a - b),
        reps,
        budgetBytes: request.memoryPlan.batchBudgetBytes,
        ...(options.threads === undefined ? {} : { threads: options.threads }),
        ...(options.ep === undefined ? {} : { ep: options.ep }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        ...(options.journal === undefined ? {} : { journal: options.journal }),
      },
      (batch, layout) => {
        const { hiddenSize: hidden, prefixTokens, tokens } = layout;
        const patches = tokens - prefixTokens;
        let writer = writers.get(batch.key);
        if (writer === undefined) {
          const rows = layout.numImages * patches;
          const setBytes = keyCount * rows * hidden * 4;
          writer = cache.store(
            setKey,
            batch.key,
            [rows, hidden],
            setBytes,
            request.memoryPlan.cacheBudgetBytes,
          );
          writers.set(batch.key, writer);
        }
        for (let i = 0; i < batch.dims[0]; i++) {
          const from = (i * tokens + prefixTokens) * hidden;
          writer.write((batch.firstImage + i) * patches, batch.data.subarray(from, from + patches * hidden));
        }
      },
    );
    const sources = new Map<string, PatchSource>();
    for (const [key, writer] of writers) sources.set(key, writer.finish());
    const { numImages, hiddenSize, prefixTokens, grid } = report.layout;
    return { sources, info: { numImages, grid, prefixTokens, hiddenSize } };
  } catch (error) {
    for (const writer of writers.values()) writer.discard();
    throw error;
  }
}
