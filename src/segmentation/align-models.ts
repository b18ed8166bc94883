/**
 * Colours across models: the one rule the explorer's frames and every figure of several models
 * follow. Each model's label maps arrive aligned through depth (`alignSequence`); then, column by
 * column, every other model's clusters are relabelled to best match the first model's in the same
 * column, with a Hungarian matching of their overlap over all images on the models' common grid.
 * K may differ between models: clusters beyond the first model's K take the ids after its own.
 */
import { matchLabels, relabel } from "./align-labels";
import { commonGrid, resampleLabels } from "./label-grid";

/** One model's label maps in column order, int32 `[images, gh, gw]` each, on its own grid. */
export interface ModelColumns {
  columns: readonly Int32Array[];
  grid: readonly [height: number, width: number];
  k: number;
}

/**
 * The columns of every model relabelled to match the first model's column by column (the first
 * model's as they are), each still on its own grid.
 */
export function alignModels(models: readonly ModelColumns[], images: number): Int32Array[][] {
  const first = models[0];
  if (first === undefined) return [];
  const grid = commonGrid(models.map((m) => m.grid));
  const onGrid = (model: ModelColumns, c: number) =>
    resampleLabels(model.columns[c] as Int32Array, images, model.grid, grid);
  // The first model's columns on the common grid, once for every model matched to them.
  const reference = first.columns.map((_, c) => onGrid(first, c));
  return models.map((model, m) =>
    model.columns.map((labels, c) => {
      if (m === 0) return labels;
      return relabel(labels, matchLabels(onGrid(model, c), model.k, reference[c] as Int32Array, first.k));
    }),
  );
}
