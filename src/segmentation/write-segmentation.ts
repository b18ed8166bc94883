import { createNpyWriter } from "../features/npy";
import { jsonText, type RunMeta, runMeta } from "../features/run-meta";
import { type OutputOptions, type OutputTransaction, withOutput } from "../util/output-transaction";
import type { KMeansNormalize } from "../vocabulary";
import type { Segmentation, StoredSegmentation } from "./segment";

/** `DIR/meta.json` of `seglens segment`: a file format others read (ARCHITECTURE.md, File formats). */
export interface SegmentMeta extends RunMeta {
  k: number;
  normalize: KMeansNormalize;
  seed: number;
  restarts: number;
  /** Per `<rep>_L<l>`: sum of squared distances to the assigned centroid, float64. */
  inertia: Record<string, number>;
}

/** `DIR/metrics.json`: per `<rep>_L<l>`, the scores of README.md's Metrics. */
export type MetricsFile = Record<
  string,
  { pb: number; lc: number; ba: number; miou?: number; miou_many_to_one?: number }
>;

/** The settings of a segmentation that meta.json records besides K. */
export interface SegmentSettings {
  normalize: KMeansNormalize;
  seed: number;
  restarts: number;
}

/**
 * Writes `labels_<rep>_L<l>.npy` (int32 `[images, gh, gw]`, aligned), `metrics.json` and `meta.json`
 * into `outDir`, all renamed into place at the end, `meta.json` last, so a folder with a meta.json is
 * complete; on failure nothing is left (see `withOutput`).
 */
export async function writeSegmentation(
  segmentation: Segmentation | StoredSegmentation,
  outDir: string,
  settings: SegmentSettings,
  options: OutputOptions = {},
): Promise<SegmentMeta> {
  return withOutput(outDir, options, (out) => stageSegmentation(out, "", segmentation, settings));
}

/**
 * Writes one segmentation's files into the folder `subdir` (`""`: the top) of an output
 * transaction, so several land together (the positional probe beside the main run).
 */
export async function stageSegmentation(
  out: OutputTransaction,
  subdir: string,
  segmentation: Segmentation | StoredSegmentation,
  settings: SegmentSettings,
): Promise<SegmentMeta> {
  const file = (name: string) => (subdir === "" ? name : `${subdir}/${name}`);
  const [gh, gw] = segmentation.grid;
  // Features read from folders bring their meta.json; extracted ones are described from the request.
  const base = "meta" in segmentation ? segmentation.meta : await runMeta(segmentation.request, segmentation);
  const n = base.images.length;
  for (const [key, labels] of segmentation.labels) {
    const writer = createNpyWriter(out.path(file(`labels_${key}.npy`)), "int32", [n, gh, gw]);
    try {
      writer.write(0, labels);
    } finally {
      writer.close();
    }
  }
  const metrics: MetricsFile = {};
  for (const [key, s] of segmentation.scores) {
    metrics[key] = { pb: s.pb, lc: s.lc, ba: s.ba };
    if (s.miou !== undefined) metrics[key].miou = s.miou;
    if (s.miouManyToOne !== undefined) metrics[key].miou_many_to_one = s.miouManyToOne;
  }
  out.writeFile(file("metrics.json"), jsonText(metrics));
  const meta: SegmentMeta = {
    ...base,
    k: segmentation.k,
    ...settings,
    inertia: Object.fromEntries(segmentation.inertia),
  };
  out.writeFile(file("meta.json"), jsonText(meta));
  return meta;
}
