/** Figures of one model, a row per layer: layers × images and layers × representations. */
import { basename } from "node:path";
import { featureKey } from "../features/selection";
import type { Segmentation } from "../segmentation/segment";
import type { Rep } from "../vocabulary";
import type { FigureRow, FigureSpec } from "./figure";
import { matchToReference, relabelled } from "./figure-colours";
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

/**
 * Layers × images: a row per layer of `rep`, a column per image, PB/LC/BA beside each row. Colours
 * follow the clusters through depth as `segment` aligned them.
 */
export async function layersByImages(segmentation: Segmentation, rep: Rep): Promise<FigureSpec> {
  const book = createPhotoBook();
  const { images, layers } = segmentation.request;
  const rows = layers.map((layer) => {
    const key = featureKey(rep, layer);
    const labels = labelsOf(segmentation, key);
    const row: FigureRow = {
      title: layer === 0 ? "embeddings" : `layer ${layer}`,
      panels: images.map((_, i) => labelPanel(book, segmentation, labels, i)),
    };
    const note = scoreNote(segmentation.scores.get(key));
    if (note !== undefined) row.note = note;
    return row;
  });
  return {
    title: `${basename(segmentation.request.model.id)} · ${rep} · ${kText([segmentation])}`,
    columns: images.map((p) => basename(p)),
    rows,
    k: segmentation.k,
    photos: await book.photos(),
  };
}

/**
 * Layers × representations of one image (or, with `"all"`, a block of rows per image): a row per
 * layer from 1 up (the embeddings have no q, k, v), a column per representation, each panel
 * captioned with its PB/LC/BA. Each representation's labels are relabelled once, matched to the
 * first representation's at the deepest layer, so colours agree across columns and down rows.
 */
export async function layersByReps(segmentation: Segmentation, image: number | "all"): Promise<FigureSpec> {
  const book = createPhotoBook();
  const { images, reps } = segmentation.request;
  const layers = segmentation.request.layers.filter((l) => l > 0);
  const deepest = layers.at(-1) ?? 1;
  const reference = { segmentation, key: featureKey(reps[0] as Rep, deepest) };
  const labelsFor = reps.map((rep, r) =>
    relabelled(
      segmentation,
      r === 0 ? undefined : matchToReference({ segmentation, key: featureKey(rep, deepest) }, reference),
    ),
  );
  const rows = imageBlocks(image, images, (i) =>
    layers.map((layer) => ({
      title: `layer ${layer}`,
      panels: reps.map((rep, r) =>
        labelPanel(
          book,
          segmentation,
          (labelsFor[r] as (key: string) => Int32Array)(featureKey(rep, layer)),
          i,
        ),
      ),
      captions: reps.map((rep) => scoreCaption(segmentation.scores.get(featureKey(rep, layer)))),
    })),
  );
  const shown = image === "all" ? `${images.length} images` : imageName(segmentation, image);
  return {
    title: `${basename(segmentation.request.model.id)} · ${shown} · ${kText([segmentation])}`,
    columns: [...reps],
    rows,
    k: segmentation.k,
    photos: await book.photos(),
  };
}
