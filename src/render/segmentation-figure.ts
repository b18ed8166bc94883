/**
 * The figure of one or several segmentations, in every layout `seglens figure` draws: rows of
 * layers or of models; columns of images, representations or layers.
 */
import type { Segmentation } from "../segmentation/segment";
import { DEFAULT_OPACITY, type Rep } from "../vocabulary";
import type { FigureSpec } from "./figure";
import { layersByImages, layersByReps } from "./layers-figure";
import { modelsByImages, modelsByReps } from "./models-figure";
import { modelsByLayers } from "./models-layers-figure";

/** How a figure is laid out (`seglens figure --rows … --cols …`). */
export interface FigureLayout {
  /** `layers`: one row per layer of one model; `models`: one row per model. */
  rows: "layers" | "models";
  /**
   * `images`: one column per image for one representation; `reps`: one column per representation
   * of one image; `layers` (with rows `models`): one column per layer of one image, models of any
   * depth matched by relative depth (`modelLayers`).
   */
  cols: "images" | "reps" | "layers";
  /**
   * Rows `models`: per model, the blocks it shows in its own numbering — one per column with cols
   * `layers`, else the one block of its row (the last given). Default: the layers it was segmented at.
   */
  modelLayers?: readonly (readonly number[])[];
  /** Cols `layers`: column titles (e.g. `depth 0.5`); default `layer <first model's block>`. */
  columnTitles?: readonly string[];
  /**
   * Cols `reps` or `layers`: the image shown (index into the images), or `"all"` for one block of
   * rows per image, headed by its name. Default 0.
   */
  image?: number | "all";
  /** The representation shown when columns are images or layers. */
  rep: Rep;
  /** Weight of the label colours over the photo: 0 the photo only, 1 labels only. Default 0.6. */
  opacity?: number;
  footnote?: string;
}

/**
 * The figure spec for one or several segmentations (several: one per model, rows "models"), with
 * metric values beside every row or on every panel. Label maps are drawn as vector shapes over
 * each image's photo (see `figureSvg`).
 */
export async function segmentationFigure(
  segmentations: readonly Segmentation[],
  layout: FigureLayout,
): Promise<FigureSpec> {
  const first = segmentations[0] as Segmentation;
  const image = layout.image ?? 0;
  let spec: FigureSpec;
  if (layout.rows === "layers") {
    spec =
      layout.cols === "reps" ? await layersByReps(first, image) : await layersByImages(first, layout.rep);
  } else if (layout.cols === "layers") {
    spec = await modelsByLayers(segmentations, {
      rep: layout.rep,
      image,
      ...(layout.modelLayers === undefined ? {} : { modelLayers: layout.modelLayers }),
      ...(layout.columnTitles === undefined ? {} : { columns: layout.columnTitles }),
    });
  } else if (layout.cols === "reps") {
    spec = await modelsByReps(segmentations, image, layout.modelLayers);
  } else {
    spec = await modelsByImages(segmentations, layout.rep, layout.modelLayers);
  }
  spec.opacity = layout.opacity ?? DEFAULT_OPACITY;
  if (layout.footnote !== undefined) spec.footnote = layout.footnote;
  return spec;
}
