/**
 * Which blocks the explorer shows: one column per block of the first model, and for every model
 * the block of its own that goes under each column, for models of any depth.
 */
import { InputError } from "../errors";
import { blocksAtDepths, matchingBlock } from "../features/relative-depth";

/** The blocks the explorer is asked for; with neither, every block of the first model. */
export interface LayerSelection {
  /** Inclusive range of the first model's blocks. */
  range?: readonly [first: number, last: number] | undefined;
  /** Fractions of each model's depth, in (0, 1]; wins over `range`. */
  depths?: readonly number[] | undefined;
}

/** The shown blocks: the columns, and each model's own block in each column. */
export interface ShownBlocks {
  /** The first model's blocks, one per column, ascending (the frame's `layers`). */
  layers: number[];
  /** `modelLayers[m][c]`: the block of model m in column c, in its own numbering (`model_layers`). */
  modelLayers: number[][];
}

/**
 * The columns for models with `depths` blocks each (the first model first).
 *
 * With `depths` fractions, each model shows its own blocks at those fractions (`blocksAtDepths`):
 * the columns are the first model's blocks, and a column on which several fractions fall (a
 * shallow first model) shows every model at the smallest of them. With a `range` (or none: all
 * blocks), the columns are the first model's blocks from first to last and every other model
 * shows the block at the same relative depth (`matchingBlock`); a range beyond the first model's
 * depth is an InputError.
 *
 * @example
 * shownBlocks([12, 24], { depths: [0.25, 0.5, 1] }); // { layers: [3, 6, 12], modelLayers: [[3, 6, 12], [6, 12, 24]] }
 */
export function shownBlocks(depths: readonly number[], selection: LayerSelection): ShownBlocks {
  const depth = depths[0];
  if (depth === undefined) throw new InputError("no model selected: choose 1 to 3 models");
  if (selection.depths !== undefined) {
    // Each column's block of the first model, with the fraction that first falls on it.
    const columns = new Map<number, number>();
    for (const fraction of [...selection.depths].sort((a, b) => a - b)) {
      const [block] = blocksAtDepths([fraction], depth) as [number];
      if (!columns.has(block)) columns.set(block, fraction);
    }
    const fractions = [...columns.values()];
    return {
      layers: [...columns.keys()],
      modelLayers: depths.map((d) => fractions.map((f) => blocksAtDepths([f], d)[0] as number)),
    };
  }
  const [from, to] = selection.range ?? [1, depth];
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 1 && from <= to && to <= depth)) {
    throw new InputError(`invalid layer_range [${from}, ${to}]; expected 1 ≤ first ≤ last ≤ ${depth}`);
  }
  const layers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  return { layers, modelLayers: depths.map((d) => layers.map((l) => matchingBlock(l, depth, d))) };
}
