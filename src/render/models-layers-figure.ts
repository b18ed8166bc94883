/**
 * Models × layers: a row per model, a column per layer of the first model (or per fraction of the
 * depth), models of any depth side by side by relative depth.
 */
import { basename } from "node:path";
import { featureKey } from "../features/selection";
import type { Segmentation } from "../segmentation/segment";
import type { Rep } from "../vocabulary";
import type { FigureRow, FigureSpec } from "./figure";
import { matchToReference, relabelled } from "./figure-colours";
import { createPhotoBook, imageBlocks, imageName, kText, labelPanel, scoreCaption } from "./figure-parts";

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
 * labels are aligned layer to layer) and across models: a model's labels are permuted once, to
 * match the first model's at the deepest column, whatever either's K, so a colour keeps its
 * meaning along a row and down a column.
 */
export async function modelsByLayers(
  segmentations: readonly Segmentation[],
  options: ModelsLayersOptions,
): Promise<FigureSpec> {
  const first = segmentations[0] as Segmentation;
  const { rep } = options;
  const modelLayers = options.modelLayers ?? segmentations.map((s) => s.request.layers.filter((l) => l > 0));
  const layersOf = (m: number) => modelLayers[m] as readonly number[];
  const reference = { segmentation: first, key: featureKey(rep, layersOf(0).at(-1) as number) };
  const labels = segmentations.map((segmentation, m) =>
    relabelled(
      segmentation,
      m === 0
        ? undefined
        : matchToReference({ segmentation, key: featureKey(rep, layersOf(m).at(-1) as number) }, reference),
    ),
  );
  const book = createPhotoBook();
  const image = options.image ?? 0;
  const rows = imageBlocks(image, first.request.images, (i) =>
    segmentations.map((segmentation, m): FigureRow => {
      const keys = layersOf(m).map((layer) => featureKey(rep, layer));
      return {
        title: basename(segmentation.request.model.id),
        note: `${segmentation.request.tapped.taps.blocks.length} blocks`,
        panels: keys.map((key) =>
          labelPanel(book, segmentation, (labels[m] as (key: string) => Int32Array)(key), i),
        ),
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
