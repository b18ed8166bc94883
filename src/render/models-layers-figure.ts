/**
 * Models × layers: a row per model, a column per layer of the first model (or per fraction of the
 * depth), models of any depth side by side by relative depth.
 */
import { basename } from "node:path";
import { featureKey } from "../features/selection";
import { alignModels } from "../segmentation/align-models";
import type { Segmentation } from "../segmentation/segment";
import type { Rep } from "../vocabulary";
import type { FigureRow, FigureSpec } from "./figure";
import {
  createPhotoBook,
  imageBlocks,
  imageName,
  kText,
  labelPanel,
  labelsOf,
  scoreCaption,
} from "./figure-parts";

/** What a models × layers figure shows. */
export interface ModelsLayersOptions {
  rep: Rep;
  /** Per model, the block under each column, in its own numbering; default its segmented layers. */
  modelLayers?: readonly (readonly number[])[];
  /** Column titles; default `layer <first model's block>`. */
  columns?: readonly string[];
  /** The image shown, or `"all"` for a block of model rows per image; default 0. */
  image?: number | "all";
}

/**
 * Models × layers for one image, or a block of model rows per image. Every panel is captioned with
 * its model's own block number and scores. Colours are consistent through depth (each model's
 * labels are aligned layer to layer) and across models, as in the explorer: in every column each
 * model is matched to the first model (`alignModels`), whatever either's K.
 */
export async function modelsByLayers(
  segmentations: readonly Segmentation[],
  options: ModelsLayersOptions,
): Promise<FigureSpec> {
  const first = segmentations[0] as Segmentation;
  const { rep } = options;
  const modelLayers = options.modelLayers ?? segmentations.map((s) => s.request.layers.filter((l) => l > 0));
  const layersOf = (m: number) => modelLayers[m] as readonly number[];
  const labels = alignModels(
    segmentations.map((segmentation, m) => ({
      columns: layersOf(m).map((layer) => labelsOf(segmentation, featureKey(rep, layer))),
      grid: segmentation.grid,
      k: segmentation.k,
    })),
    first.request.images.length,
  );
  const book = createPhotoBook();
  const image = options.image ?? 0;
  const rows = imageBlocks(image, first.request.images, (i) =>
    segmentations.map((segmentation, m): FigureRow => {
      const keys = layersOf(m).map((layer) => featureKey(rep, layer));
      return {
        title: basename(segmentation.request.model.id),
        note: `${segmentation.request.tapped.taps.blocks.length} blocks`,
        panels: keys.map((_, c) => labelPanel(book, segmentation, labels[m]?.[c] as Int32Array, i)),
        captions: layersOf(m).map((layer, c) => [
          `L${layer}`,
          ...scoreCaption(segmentation.scores.get(keys[c] as string)),
        ]),
      };
    }),
  );
  const shown = image === "all" ? `${first.request.images.length} images` : imageName(first, image);
  return {
    title: `models × layers · ${shown} · ${rep} · ${kText(segmentations)}`,
    columns: [...(options.columns ?? layersOf(0).map((layer) => `layer ${layer}`))],
    rows,
    k: first.k,
    photos: await book.photos(),
  };
}
