import { join } from "node:path";
import { makeOutputDir } from "../util/output-dir";
import { type ExtractProgress, type ExtractReport, extractFeatures, imagePixels } from "./extract-features";
import type { PreparedRequest } from "./feature-request";
import { createNpyFeatureSink } from "./npy-feature-sink";
import { type RunMeta, runMeta, writeJsonAtomic } from "./run-meta";

/** `DIR/meta.json` of `seglens features` (design §6 ⚑). */
export type FeaturesMeta = RunMeta;

/** Options of {@link writeFeatures}. */
export interface WriteFeaturesOptions {
  threads?: number;
  ep?: "cpu" | "cuda";
  signal?: AbortSignal;
  onProgress?: (progress: ExtractProgress) => void;
}

/**
 * Extracts the features of `request` into `outDir`: one preallocated `<rep>_L<l>.npy` per
 * (representation, layer), filled batch by batch, then `meta.json`, written last, so a folder with
 * a meta.json is complete.
 */
export async function writeFeatures(
  request: PreparedRequest,
  outDir: string,
  options: WriteFeaturesOptions = {},
): Promise<{ meta: FeaturesMeta; report: ExtractReport }> {
  makeOutputDir(outDir);
  const output = createNpyFeatureSink(outDir);
  let report: ExtractReport;
  try {
    report = await extractFeatures(
      request.tapped,
      {
        inputs: imagePixels(request.images, request.preprocess),
        layers: request.layers,
        reps: request.reps,
        ...(request.prefixTokens === undefined ? {} : { prefixTokens: request.prefixTokens }),
        ...options,
      },
      output.sink,
    );
  } finally {
    output.close();
  }
  const meta = await runMeta(request, report.layout);
  writeJsonAtomic(join(outDir, "meta.json"), meta);
  return { meta, report };
}
