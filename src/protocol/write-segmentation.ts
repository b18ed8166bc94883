import { join } from "node:path";
import { makeOutputDir } from "../util/output-dir";
import { writeNpy } from "./npy";
import { type RunMeta, runMeta, writeJsonAtomic } from "./run-meta";
import type { Segmentation } from "./segment";

/** `DIR/meta.json` of `seglens segment` (design §6 ⚑). */
export interface SegmentMeta extends RunMeta {
  k: number;
  normalize: "l2" | "none";
  seed: number;
  restarts: number;
  /** Per `<rep>_L<l>`: sum of squared distances to the assigned centroid, float64. */
  inertia: Record<string, number>;
}

/** `DIR/metrics.json`: per `<rep>_L<l>`, the scores of design §1.6. */
export type MetricsFile = Record<
  string,
  { pb: number; lc: number; ba: number; miou?: number; miou_many_to_one?: number }
>;

/**
 * Writes `labels_<rep>_L<l>.npy` (int32 `[images, gh, gw]`, aligned), `metrics.json` and, last,
 * `meta.json`, so a folder with a meta.json is complete.
 */
export async function writeSegmentation(
  segmentation: Segmentation,
  outDir: string,
  settings: { normalize: "l2" | "none"; seed: number; restarts: number },
): Promise<SegmentMeta> {
  makeOutputDir(outDir);
  const [gh, gw] = segmentation.grid;
  const n = segmentation.request.images.length;
  for (const [key, labels] of segmentation.labels) {
    writeNpy(join(outDir, `labels_${key}.npy`), { dtype: "int32", dims: [n, gh, gw], data: labels });
  }
  const metrics: MetricsFile = {};
  for (const [key, s] of segmentation.scores) {
    metrics[key] = { pb: s.pb, lc: s.lc, ba: s.ba };
    if (s.miou !== undefined) metrics[key].miou = s.miou;
    if (s.miouManyToOne !== undefined) metrics[key].miou_many_to_one = s.miouManyToOne;
  }
  writeJsonAtomic(join(outDir, "metrics.json"), metrics);
  const base = await runMeta(segmentation.request, segmentation);
  const meta: SegmentMeta = {
    ...base,
    k: segmentation.k,
    ...settings,
    inertia: Object.fromEntries(segmentation.inertia),
  };
  writeJsonAtomic(join(outDir, "meta.json"), meta);
  return meta;
}
