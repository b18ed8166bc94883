/**
 * Colours that mean the same across a figure. `segment` aligns each representation's labels
 * through depth; a figure that also shows other representations, other K or other models
 * relabels each of those label sets once, with a Hungarian matching of its clusters to a
 * reference's over all images (`matchLabels`, which also matches different K: extra clusters take
 * the ids after the reference's). One permutation per set keeps the alignment through depth.
 */
import { matchLabels, relabel } from "../segmentation/align-labels";
import { commonGrid, resampleLabels } from "../segmentation/label-grid";
import type { Segmentation } from "../segmentation/segment";
import { labelsOf } from "./figure-parts";

/** One label set of a figure: a segmentation's labels of `key` (`rep_L<l>`). */
export interface LabelSet {
  segmentation: Segmentation;
  key: string;
}

/**
 * The relabelling of `drawn`'s clusters that best overlaps `reference`'s, counted over all images
 * on the two models' common grid (models with different patch grids keep their own in the picture).
 */
export function matchToReference(drawn: LabelSet, reference: LabelSet): Int32Array {
  const images = reference.segmentation.request.images.length;
  const grid = commonGrid([drawn.segmentation.grid, reference.segmentation.grid]);
  const onGrid = (set: LabelSet) =>
    resampleLabels(labelsOf(set.segmentation, set.key), images, set.segmentation.grid, grid);
  return matchLabels(onGrid(drawn), drawn.segmentation.k, onGrid(reference), reference.segmentation.k);
}

/**
 * A function giving `segmentation`'s labels of a key relabelled through `mapping` (as they are
 * when undefined), each relabelled once however many panels draw it.
 */
export function relabelled(
  segmentation: Segmentation,
  mapping: Int32Array | undefined,
): (key: string) => Int32Array {
  const done = new Map<string, Int32Array>();
  return (key) => {
    let labels = done.get(key);
    if (labels === undefined) {
      labels = labelsOf(segmentation, key);
      if (mapping !== undefined) labels = relabel(labels, mapping);
      done.set(key, labels);
    }
    return labels;
  };
}
