import { basename } from "node:path";
import { featureKey } from "../features/selection";
import { decodeImage } from "../images/decode-image";
import { modelView } from "../images/preprocess";
import type { RgbImage } from "../images/rgb-image";
import { matchLabels, relabel } from "../segmentation/align-labels";
import { commonGrid, resampleLabels } from "../segmentation/label-grid";
import type { LayerScores, Segmentation } from "../segmentation/segment";
import type { Rep } from "../vocabulary";
import { DEFAULT_OPACITY } from "../vocabulary";
import type { FigureRow, FigureSpec } from "./figure";
import { paintLabels } from "./label-map";

/** How a figure is laid out (`seglens figure --rows … --cols …`). */
export interface FigureLayout {
  /** `layers`: one row per layer of one model; `models`: one row per model at one layer. */
  rows: "layers" | "models";
  /**
   * `images`: one column per image for one representation; `reps`: one column per representation
   * of the first image; `layers` (with rows `models`): one column per layer of one image, models of
   * any depth matched by relative depth (`modelLayers`).
   */
  cols: "images" | "reps" | "layers";
  /** Cols `layers`: per model, the block shown in each column (its own numbering). */
  modelLayers?: readonly (readonly number[])[];
  /** Cols `layers`: the image shown (index into the images), default 0. */
  image?: number;
  /** The representation shown when columns are images. */
  rep: Rep;
  opacity?: number;
  footnote?: string;
}

// Two decimals, without the "-0.00" of tiny negative values.
const fixed = (value: number): string => (Math.abs(value) < 0.005 ? 0 : value).toFixed(2);

function note(scores: LayerScores | undefined): string | undefined {
  if (scores === undefined) return undefined;
  const first = `PB ${fixed(scores.pb)}  LC ${fixed(scores.lc)}`;
  const second = `BA ${fixed(scores.ba)}${scores.miou === undefined ? "" : `  mIoU ${fixed(scores.miou)}`}`;
  return `${first}\n${second}`;
}

async function views(segmentation: Segmentation): Promise<RgbImage[]> {
  const { images, preprocess } = segmentation.request;
  return Promise.all(images.map(async (path) => modelView(await decodeImage(path, preprocess), preprocess)));
}

function labelsOf(segmentation: Segmentation, key: string): Int32Array {
  const labels = segmentation.labels.get(key);
  if (labels === undefined) throw new Error(`no labels for ${key}`);
  return labels;
}

/** One image's labels of `key` (or the given relabelled copy), as a panel over its model view. */
function panel(
  segmentation: Segmentation,
  key: string,
  image: number,
  view: RgbImage,
  opacity: number,
  labels = labelsOf(segmentation, key),
): RgbImage {
  const [gh, gw] = segmentation.grid;
  return paintLabels(labels.subarray(image * gh * gw, (image + 1) * gh * gw), [gh, gw], view, { opacity });
}

/**
 * Models side by side: each model's labels relabelled to best match the first model's,
 * so that equal colours mean overlapping clusters. Models with different patch grids are
 * matched on their common grid; each keeps its own grid in the picture.
 */
function alignAcrossModels(segmentations: readonly Segmentation[], keys: readonly string[]): Int32Array[] {
  const first = segmentations[0] as Segmentation;
  const images = first.request.images.length;
  const grid = commonGrid(segmentations.map((s) => s.grid));
  const reference = resampleLabels(labelsOf(first, keys[0] as string), images, first.grid, grid);
  return segmentations.map((segmentation, i) => {
    const labels = labelsOf(segmentation, keys[i] as string);
    if (i === 0 || segmentation.k !== first.k) return labels;
    const drawn = resampleLabels(labels, images, segmentation.grid, grid);
    return relabel(labels, matchLabels(drawn, segmentation.k, reference, first.k));
  });
}

/**
 * The figure spec for one or several segmentations (several: one per model, rows "models"),
 * with metric values beside every row.
 */
export async function segmentationFigure(
  segmentations: readonly Segmentation[],
  layout: FigureLayout,
): Promise<FigureSpec> {
  const first = segmentations[0] as Segmentation;
  const opacity = layout.opacity ?? DEFAULT_OPACITY;
  const rows: FigureRow[] = [];
  let columns: string[];
  if (layout.rows === "models" && layout.cols === "layers") {
    return modelsByLayers(segmentations, layout, opacity);
  }
  if (layout.rows === "models") {
    columns = first.request.images.map((p) => basename(p));
    // Each model at the deepest layer it was segmented at (models may differ in depth).
    const layers = segmentations.map((s) => s.request.layers.at(-1) ?? 1);
    const keys = layers.map((layer) => featureKey(layout.rep, layer));
    const aligned = alignAcrossModels(segmentations, keys);
    for (const [m, segmentation] of segmentations.entries()) {
      const layer = layers[m] as number;
      const key = keys[m] as string;
      const pictures = await views(segmentation);
      const row: FigureRow = {
        title: basename(segmentation.request.model.id),
        panels: pictures.map((view, i) => panel(segmentation, key, i, view, opacity, aligned[m])),
      };
      const text = note(segmentation.scores.get(key));
      row.note = `layer ${layer}${text === undefined ? "" : `\n${text}`}`;
      rows.push(row);
    }
  } else {
    const pictures = await views(first);
    const reps = layout.cols === "reps" ? first.request.reps : [layout.rep];
    columns = layout.cols === "reps" ? [...reps] : first.request.images.map((p) => basename(p));
    for (const layer of first.request.layers) {
      if (layer === 0 && layout.cols === "reps") continue;
      const panels =
        layout.cols === "reps"
          ? reps.map((rep) => panel(first, featureKey(rep, layer), 0, pictures[0] as RgbImage, opacity))
          : pictures.map((view, i) => panel(first, featureKey(layout.rep, layer), i, view, opacity));
      const row: FigureRow = { title: layer === 0 ? "embeddings" : `layer ${layer}`, panels };
      const text = layout.cols === "reps" ? undefined : note(first.scores.get(featureKey(layout.rep, layer)));
      if (text !== undefined) row.note = text;
      rows.push(row);
    }
  }
  const what =
    layout.rows === "models"
      ? layout.rep
      : layout.cols === "reps"
        ? basename(first.request.images[0] ?? "")
        : layout.rep;
  const title = `${layout.rows === "models" ? "models" : basename(first.request.model.id)} · ${what} · K=${first.k}`;
  const spec: FigureSpec = { title, columns, rows, k: first.k };
  if (layout.footnote !== undefined) spec.footnote = layout.footnote;
  return spec;
}

/** PB/LC/BA of one panel, as caption lines that fit a panel's width. */
function metricsLine(scores: LayerScores | undefined): string[] {
  return scores === undefined
    ? []
    : [`PB ${fixed(scores.pb)} LC ${fixed(scores.lc)}`, `BA ${fixed(scores.ba)}`];
}

/**
 * Models × layers for one image: a row per model, a column per layer of the first model, every
 * other model at the same relative depth (`layout.modelLayers`), each panel captioned with its
 * own block number and scores. Colours are consistent through depth (each model's labels are
 * aligned layer to layer) and across models: a model's labels are permuted once, to match the
 * first model's at the deepest column, so a colour keeps its meaning along the row.
 */
async function modelsByLayers(
  segmentations: readonly Segmentation[],
  layout: FigureLayout,
  opacity: number,
): Promise<FigureSpec> {
  const first = segmentations[0] as Segmentation;
  const modelLayers = layout.modelLayers ?? segmentations.map((s) => s.request.layers.filter((l) => l > 0));
  const image = layout.image ?? 0;
  const last = (m: number) => (modelLayers[m] as readonly number[]).at(-1) as number;
  const grid = commonGrid(segmentations.map((s) => s.grid));
  const images = first.request.images.length;
  const reference = resampleLabels(
    labelsOf(first, featureKey(layout.rep, last(0))),
    images,
    first.grid,
    grid,
  );
  const rows: FigureRow[] = [];
  for (const [m, segmentation] of segmentations.entries()) {
    const key = featureKey(layout.rep, last(m));
    const drawn = resampleLabels(labelsOf(segmentation, key), images, segmentation.grid, grid);
    const mapping = m === 0 ? undefined : matchLabels(drawn, segmentation.k, reference, first.k);
    const view = (await views(segmentation))[image] as RgbImage;
    const layers = modelLayers[m] as readonly number[];
    const panels = layers.map((layer) => {
      const labels = labelsOf(segmentation, featureKey(layout.rep, layer));
      return panel(
        segmentation,
        "",
        image,
        view,
        opacity,
        mapping === undefined ? labels : relabel(labels, mapping),
      );
    });
    const captions = layers.map((layer) => [
      `L${layer}`,
      ...metricsLine(segmentation.scores.get(featureKey(layout.rep, layer))),
    ]);
    const depth = segmentation.request.tapped.taps.blocks.length;
    rows.push({ title: basename(segmentation.request.model.id), note: `${depth} blocks`, panels, captions });
  }
  const columns = (modelLayers[0] as readonly number[]).map((layer) => `layer ${layer}`);
  const shown = basename(first.request.images[image] ?? "");
  const spec: FigureSpec = {
    title: `models × layers · ${shown} · ${layout.rep} · K=${first.k}`,
    columns,
    rows,
    k: first.k,
  };
  if (layout.footnote !== undefined) spec.footnote = layout.footnote;
  return spec;
}
