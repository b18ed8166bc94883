/**
 * From k-means labels to the frames the view draws. Clustering is joint over the whole image set,
 * so one {@link Clustering} per setting keeps every image's aligned labels, each model on its own
 * grid (uint8: one byte per patch); a frame is then cut from it for one page of images, drawn on
 * the models' common grid. A page change costs a cut (a copy, or a resampling of the page's maps),
 * never k-means, and a frame's size follows the page, not the image set.
 */
import { alignSequence } from "../segmentation/align-labels";
import { alignModels } from "../segmentation/align-models";
import { commonGrid, resampleLabels } from "../segmentation/label-grid";
import { mapScores } from "../segmentation/metrics";
import type { Page } from "../util/paging";
import type { Rep } from "../vocabulary";
import type { ExplorerFrame, LayerMetrics } from "./explorer-state";

/** One setting's clustering of the whole image set, with its scores: what a frame is cut from. */
export interface Clustering extends ClusteringInput {
  /**
   * `labels[m][l]`: uint8 `[images, gh, gw]` of model m in column l on its own grid, aligned
   * through depth and to the first model.
   */
  labels: Uint8Array[][];
  /** Scores over the whole image set, `metrics[m][l]`. */
  metrics: LayerMetrics[][];
}

/** What {@link clusteringOf} needs beside the fits: the setting and each model's grid and blocks. */
export interface ClusteringInput {
  models: string[];
  rep: Rep;
  k: number;
  /** The first model's blocks, one per column. */
  layers: number[];
  /** Per model, its own block in each column. */
  modelLayers: number[][];
  /** Each model's own patch grid. */
  grids: [gh: number, gw: number][];
  numImages: number;
}

/** Bytes a clustering holds (its label maps), for the engine's cache budget. */
export function clusteringBytes(clustering: Clustering): number {
  return clustering.labels.reduce((sum, columns) => sum + columns.reduce((s, c) => s + c.length, 0), 0);
}

/**
 * Aligns k-means labels (`fitsPerModel[m][l]`, int32 `[images, gh, gw]` on model m's grid)
 * through depth per model, then each model to the first, column by column; scores each column on
 * its model's own grid (scores do not depend on label ids, so they come before relabelling).
 * Without `scores` every score is `null`: a provisional frame skips them (their 20 shuffles per
 * score took ~3 ms a layer, a third of a K change), its refined frame has them.
 */
export function clusteringOf(
  input: ClusteringInput,
  fitsPerModel: Int32Array[][],
  { scores: withScores } = { scores: true },
): Clustering {
  const { k, grids, numImages: n } = input;
  const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
  const unscored: LayerMetrics = { pb: null, lc: null, ba: null };
  const throughDepth = fitsPerModel.map((fits) => alignSequence(fits, k));
  const shown = alignModels(
    throughDepth.map((columns, m) => ({ columns, grid: grids[m] as [number, number], k })),
    n,
  );
  const metrics = throughDepth.map((aligned, m) => {
    const [gh, gw] = grids[m] as [number, number];
    return aligned.map((labels): LayerMetrics => {
      if (!withScores) return { ...unscored };
      const scores = mapScores({ labels, dims: [n, gh, gw], k });
      return { pb: finite(scores.pb), lc: finite(scores.lc), ba: finite(scores.ba) };
    });
  });
  return { ...input, labels: shown.map((columns) => columns.map((c) => Uint8Array.from(c))), metrics };
}

/**
 * The frame of one page: the page's label maps of every model and column on the common grid,
 * packed uint8 `[models, layers, page images, gh, gw]`, with the whole set's scores.
 */
export function pageFrame(clustering: Clustering, page: Page): ExplorerFrame {
  const { grids, layers } = clustering;
  const [gh, gw] = commonGrid(grids);
  const count = page.end - page.start;
  const perMap = count * gh * gw;
  const buffer = new Uint8Array(clustering.models.length * layers.length * perMap);
  clustering.labels.forEach((columns, m) => {
    const grid = grids[m] as [number, number];
    const cells = grid[0] * grid[1];
    columns.forEach((labels, l) => {
      const own = labels.subarray(page.start * cells, page.end * cells);
      buffer.set(resampleLabels(own, count, grid, [gh, gw]), (m * layers.length + l) * perMap);
    });
  });
  return {
    models: [...clustering.models],
    rep: clustering.rep,
    k: clustering.k,
    layers: [...layers],
    images: Array.from({ length: count }, (_, i) => page.start + i),
    grid: [gh, gw],
    model_grids: grids.map(([h, w]) => [h, w]),
    model_layers: clustering.modelLayers.map((blocks) => [...blocks]),
    labels: { dtype: "uint8", shape: [clustering.models.length, layers.length, count, gh, gw], buffer },
    metrics: clustering.metrics,
    provisional: false,
  };
}

/** Takes a setting's fits as they arrive (see {@link firstLayersFrame}). */
export interface FitCollector {
  fitted(model: number, column: number, labels: Int32Array): void;
}

/**
 * Collects fits as the k-means threads finish them and sends, once, the frame of the leading
 * columns every model has fitted (aligned as the whole clustering will be: through depth from the
 * first column on), with the other columns zero and `layers_ready` their count: the first picture
 * of a cold start, shown while the remaining layers are clustered. Nothing is sent when the last
 * column is among the first ready (the whole frame follows at once).
 */
export function firstLayersFrame(
  input: ClusteringInput,
  page: Page,
  send: (frame: ExplorerFrame) => void,
): FitCollector {
  const columns = input.layers.length;
  const fits = input.models.map(() => new Array<Int32Array | undefined>(columns).fill(undefined));
  let sent = false;
  return {
    fitted(model, column, labels) {
      (fits[model] as (Int32Array | undefined)[])[column] = labels;
      if (sent) return;
      let ready = 0;
      while (ready < columns && fits.every((f) => f[ready] !== undefined)) ready++;
      if (ready === 0 || ready === columns) return;
      sent = true;
      const leading = clusteringOf(
        {
          ...input,
          layers: input.layers.slice(0, ready),
          modelLayers: input.modelLayers.map((blocks) => blocks.slice(0, ready)),
        },
        fits.map((f) => f.slice(0, ready) as Int32Array[]),
        { scores: false },
      );
      // The columns still being clustered, as blank maps (label 0) without scores.
      const rest = Array.from({ length: columns - ready });
      const clustering: Clustering = {
        ...input,
        labels: leading.labels.map((shown, m) => {
          const [gh, gw] = input.grids[m] as [number, number];
          return [...shown, ...rest.map(() => new Uint8Array(input.numImages * gh * gw))];
        }),
        metrics: leading.metrics.map((shown) => [
          ...shown,
          ...rest.map(() => ({ pb: null, lc: null, ba: null })),
        ]),
      };
      send({ ...pageFrame(clustering, page), provisional: true, layers_ready: ready });
    },
  };
}
