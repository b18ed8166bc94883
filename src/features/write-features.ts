import { withOutput } from "../util/output-transaction";
import { type ExtractProgress, type ExtractReport, extractFeatures, imagePixels } from "./extract-features";
import { type FeatureCache, featureKeys } from "./feature-cache";
import type { PreparedRequest } from "./feature-request";
import { createNpyFeatureSink } from "./npy-feature-sink";
import { jsonText, type RunMeta, runMeta } from "./run-meta";

/** `DIR/meta.json` of `seglens features`: a file format others read (ARCHITECTURE.md, File formats). */
export type FeaturesMeta = RunMeta;

/** Options of {@link writeFeatures}. */
export interface WriteFeaturesOptions {
  threads?: number;
  ep?: "cpu" | "cuda";
  /** Aborting stops the run; nothing is left in the output folder. */
  signal?: AbortSignal;
  onProgress?: (progress: ExtractProgress) => void;
  /**
   * A cache with a folder keeps every finished image until the run completes, so a run that fails
   * or is interrupted resumes where it stopped. Default: none.
   */
  cache?: FeatureCache;
}

/**
 * Extracts the features of `request` into `outDir`: one preallocated `<rep>_L<l>.npy` per
 * (representation, layer), filled batch by batch under a temporary name, then `meta.json`; all
 * are renamed into place only when everything is done, `meta.json` last, so a folder with a
 * meta.json is complete. A run that fails or is aborted removes its temporary files and any
 * folder it would have made; files already in `outDir` stay as they were.
 */
export async function writeFeatures(
  request: PreparedRequest,
  outDir: string,
  options: WriteFeaturesOptions = {},
): Promise<{ meta: FeaturesMeta; report: ExtractReport }> {
  const { cache, ...extractOptions } = options;
  const journal = cache?.journal?.(await featureKeys(request));
  const result = await withOutput(
    outDir,
    options.signal === undefined ? {} : { signal: options.signal },
    async (out) => {
      const output = createNpyFeatureSink((key) => out.path(`${key}.npy`));
      let report: ExtractReport;
      try {
        report = await extractFeatures(
          request.tapped,
          {
            inputs: imagePixels(request.images, request.preprocess),
            layers: request.layers,
            reps: request.reps,
            ...(request.prefixTokens === undefined ? {} : { prefixTokens: request.prefixTokens }),
            ...(journal === undefined ? {} : { journal }),
            budgetBytes: request.memoryPlan.batchBudgetBytes,
            ...extractOptions,
          },
          output.sink,
        );
      } finally {
        output.close();
      }
      const meta = await runMeta(request, report.layout);
      out.writeFile("meta.json", jsonText(meta));
      return { meta, report };
    },
  );
  journal?.clear(); // the output holds it all now
  return result;
}
