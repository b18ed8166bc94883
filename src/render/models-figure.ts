/**
 * Figures of several models, a row per model at one block each: models × images and
 * models × representations. Models of any depth: each shows the block the layout gives it (by
 * relative depth, in its own numbering), or the deepest it was segmented at.
 */
import { basename } from "node:path";
import { featureKey } from "../features/selection";
import { alignModels } from "../segmentation/align-models";
import type { Segmentation } from "../segmentation/segment";
import type { Rep } from "../vocabulary";
import type { FigureRow, FigureSpec } from "./figure";
import { type LabelSet, matchToReference, relabelled } from "./figure-colours";
import {
  createPhotoBook,
  imageBlocks,
  imageName,
  kText,
  labelPanel,
  labelsOf,
  scoreCaption,
  scoreNote,
} from "./figure-parts";

/** Per model, the one block it shows: the last of `modelLayers[m]`, else its deepest segmented. */
function shownBlocks(
  segmentations: readonly Segmentation[],
  modelLayers: readonly (readonly number[])[] | undefined,
): number[] {
  return segmentations.map((s, m) => modelLayers?.[m]?.at(-1) ?? s.request.layers.at(-1) ?? 1);
}

/**
 * The labels model `m` draws for representation `reps[r]` at its block: the first model's
 * representations matched to its first one, then every other model matched to the first model
 * representation by representation, as the explorer matches models (`alignModels`).
 */
function matchedLabels(
  segmentations: readonly Segmentation[],
  blocks: readonly number[],
  reps: readonly Rep[],
): (m: number, r: number) => Int32Array {
  const first = segmentations[0] as Segmentation;
  const reference: LabelSet = { segmentation: first, key: featureKey(reps[0] as Rep, blocks[0] as number) };
  const firstColumns = reps.map((rep, r) => {
    const drawn = { segmentation: first, key: featureKey(rep, blocks[0] as number) };
    return relabelled(first, r === 0 ? undefined : matchToReference(drawn, reference))(drawn.key);
  });
  const labels = alignModels(
    segmentations.map((segmentation, m) => ({
      columns:
        m === 0
          ? firstColumns
          : reps.map((rep) => labelsOf(segmentation, featureKey(rep, blocks[m] as number))),
      grid: segmentation.grid,
      k: segmentation.k,
    })),
    first.request.images.length,
  );
  return (m, r) => labels[m]?.[r] as Int32Array;
}

/**
 * Models × images: a row per model at its block, a column per image of `rep`. Each model's
 * labels are matched to the first model's, so equal colours mean overlapping clusters (also when
 * the models differ in K or in patch grid).
 */
export async function modelsByImages(
  segmentations: readonly Segmentation[],
  rep: Rep,
  modelLayers?: readonly (readonly number[])[],
): Promise<FigureSpec> {
  const first = segmentations[0] as Segmentation;
  const book = createPhotoBook();
  const blocks = shownBlocks(segmentations, modelLayers);
  const labels = matchedLabels(segmentations, blocks, [rep]);
  const rows = segmentations.map((segmentation, m): FigureRow => {
    const key = featureKey(rep, blocks[m] as number);
    const drawn = labels(m, 0);
    const note = scoreNote(segmentation.scores.get(key));
    return {
      title: basename(segmentation.request.model.id),
      note: `layer ${blocks[m]}${note === undefined ? "" : `\n${note}`}`,
      panels: segmentation.request.images.map((_, i) => labelPanel(book, segmentation, drawn, i)),
    };
  });
  return {
    title: `models · ${rep} · ${kText(segmentations)}`,
    columns: first.request.images.map((p) => basename(p)),
    rows,
    k: first.k,
    photos: await book.photos(),
  };
}

/**
 * Models × representations: a row per model at its block, a column per representation (of the
 * first model's request), for one image or, with `"all"`, a block of rows per image. Panels are
 * captioned with the model's own block number and the representation's PB/LC/BA; every label set
 * is matched to the first model's first representation.
 */
export async function modelsByReps(
  segmentations: readonly Segmentation[],
  image: number | "all",
  modelLayers?: readonly (readonly number[])[],
): Promise<FigureSpec> {
  const first = segmentations[0] as Segmentation;
  const { reps, images } = first.request;
  const book = createPhotoBook();
  const blocks = shownBlocks(segmentations, modelLayers);
  const labels = matchedLabels(segmentations, blocks, reps);
  const rows = imageBlocks(image, images, (i) =>
    segmentations.map((segmentation, m): FigureRow => {
      const block = blocks[m] as number;
      const keys = reps.map((rep) => featureKey(rep, block));
      return {
        title: basename(segmentation.request.model.id),
        note: `${segmentation.request.tapped.taps.blocks.length} blocks`,
        panels: reps.map((_, r) => labelPanel(book, segmentation, labels(m, r), i)),
        captions: keys.map((key) => [`L${block}`, ...scoreCaption(segmentation.scores.get(key))]),
      };
    }),
  );
  const shown = image === "all" ? `${images.length} images` : imageName(first, image);
  return {
    title: `models × representations · ${shown} · ${kText(segmentations)}`,
    columns: [...reps],
    rows,
    k: first.k,
    photos: await book.photos(),
  };
}
