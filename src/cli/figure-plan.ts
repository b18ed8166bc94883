/**
 * What `seglens figure` segments for each layout: which models, at which blocks (matched by
 * relative depth across models of any depth), with which representations.
 */
import { InputError } from "../errors";
import { prepareRequest } from "../features/feature-request";
import { blocksAtDepths, matchingBlock } from "../features/relative-depth";
import { parseLayerSpec, parseLayers, parseReps } from "../features/selection";
import type { HeadChoice } from "../lenses/attention-maps";
import type { Segmentation } from "../segmentation/segment";
import type { Lens, Rep } from "../vocabulary";
import { type ModelFlags, requestFromFlags } from "./features-command";
import { type ClusterFlags, segmentFromFlags } from "./segment-command";

/** The flags of `seglens figure`. */
export interface FigureFlags extends Omit<ModelFlags, "model">, ClusterFlags {
  model?: string;
  out: string;
  rows: "layers" | "models";
  cols: "images" | "reps" | "layers";
  models?: string[];
  image?: string;
  opacity: number;
  /** Which lens the panels show (see `LENSES` in `src/vocabulary.ts`). */
  lens: Lens;
  /** `--lens pca`: the foreground threshold. */
  pcaForeground?: number;
  /** `--lens attention`: which heads (default their mean). */
  heads?: HeadChoice;
}

/** The segmentations a figure draws, and for rows of models, the blocks each model shows. */
export interface FigurePlan {
  segmentations: Segmentation[];
  /** Rows `models`: per model, its blocks in its own numbering (one per column, or one). */
  modelLayers?: number[][];
  /** Cols `layers` chosen by `--depth`: `depth 0.5`, … */
  columnTitles?: string[];
}

/** The flags of `seglens figure` once the model is chosen. */
export type Flags = FigureFlags & { model: string };

const NOTE_ROW = "note: layer 0 (the embeddings) has no q, k, v: the figure leaves its row out\n";

/** The refusal of a figure that shows q, k or v and was left only the embeddings. */
function onlyEmbeddings(flags: Flags, shown: Rep): InputError {
  const what =
    flags.cols === "images"
      ? `--cols images shows the first of --reps, "${shown}"`
      : "--cols reps shows q, k, v";
  const chosen =
    flags.depth === undefined ? `--layers "${flags.layers}"` : `--depth "${flags.depth.join(",")}"`;
  const alternative = flags.cols === "images" ? ", or put tokens first in --reps" : ", or --cols images";
  return new InputError(
    `${what}, and ${chosen} is layer 0, the embeddings, which have tokens but no q, k, v; choose layers from 1 up${alternative}`,
  );
}

/**
 * The layer choice of a one-model figure whose panels need q, k or v (`--cols reps`, or `--cols
 * images` of q, k or v): layer 0 (the embeddings) has none, so its row is left out, with a note; a
 * figure left with no row is refused. With `--reps q` alone, the request refuses in the words
 * `features` and `segment` use.
 */
function withoutEmbeddings(flags: Flags, shown: Rep): Pick<ModelFlags, "layers" | "depth"> {
  const refuseAlone = flags.cols === "images" && flags.reps?.trim() === shown;
  if (flags.depth !== undefined) {
    const kept = flags.depth.filter((f) => f > 0);
    if (kept.length === flags.depth.length) return { depth: flags.depth };
    if (kept.length === 0) {
      if (refuseAlone) return { depth: flags.depth };
      throw onlyEmbeddings(flags, shown);
    }
    process.stderr.write(NOTE_ROW);
    return { depth: kept };
  }
  const layers = flags.layers ?? "all";
  const spec = parseLayerSpec(layers);
  if (typeof spec === "string" || !spec.some(([from]) => from === 0)) return { layers };
  const kept = spec.filter(([, to]) => to > 0).map(([from, to]) => (from === 0 ? [1, to] : [from, to]));
  if (kept.length === 0) {
    if (refuseAlone) return { layers };
    throw onlyEmbeddings(flags, shown);
  }
  process.stderr.write(NOTE_ROW);
  return { layers: kept.map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`)).join(",") };
}

/** Each model's depth in blocks (resolving each model once, before anything is segmented). */
async function modelDepths(flags: Flags, models: readonly string[], signal: AbortSignal): Promise<number[]> {
  const depths: number[] = [];
  for (const model of models) {
    const { depth: _fractions, ...rest } = flags;
    const prepared = await prepareRequest(
      { ...requestFromFlags({ ...rest, model }), layers: "all", reps: "tokens" },
      { signal },
    );
    depths.push(prepared.tapped.taps.blocks.length);
  }
  return depths;
}

/** The first fraction of `--depth` or layer of `--layers` from 1 up, sorted; refused when none. */
function columnsByDepth(flags: Flags, depths: readonly number[]): Omit<FigurePlan, "segmentations"> {
  if (flags.depth !== undefined) {
    const fractions = [...new Set(flags.depth)].filter((f) => f > 0).sort((a, b) => a - b);
    if (fractions.length === 0) {
      throw new InputError(
        `--cols layers needs blocks from 1 up; --depth "${flags.depth.join(",")}" names only the embeddings`,
      );
    }
    return {
      modelLayers: depths.map((depth) => fractions.map((f) => blocksAtDepths([f], depth)[0] as number)),
      columnTitles: fractions.map((f) => `depth ${f}`),
    };
  }
  const first = parseLayers(flags.layers ?? "all", depths[0] as number).filter((l) => l > 0);
  if (first.length === 0) {
    throw new InputError(
      `--cols layers needs blocks from 1 up; --layers "${flags.layers}" names only the embeddings`,
    );
  }
  return {
    modelLayers: depths.map((depth) => first.map((l) => matchingBlock(l, depths[0] as number, depth))),
  };
}

/**
 * One block per model (rows of models, columns of images or representations): the deepest of the
 * first model's `--layers` (default its last block) mapped by relative depth, or the deepest
 * `--depth` fraction of each model.
 */
function oneBlockEach(flags: Flags, depths: readonly number[]): number[][] {
  if (flags.depth !== undefined) {
    const deepest = Math.max(...flags.depth);
    return depths.map((depth) => blocksAtDepths([deepest], depth));
  }
  const spec = flags.layers === undefined || flags.layers.trim() === "all" ? "last" : flags.layers;
  const block = parseLayers(spec, depths[0] as number).at(-1) as number;
  return depths.map((depth) => [matchingBlock(block, depths[0] as number, depth)]);
}

/**
 * What a figure with a row per layer of one model computes: its layers (or `--depth`), layer 0
 * left out with a note when the panels need q, k or v, and the representations its columns show
 * (the first of `--reps` for columns of images). Every lens draws this layout from the same choice.
 */
export function layerRowsSelection(flags: Flags): Pick<ModelFlags, "layers" | "depth" | "reps"> {
  const first = parseReps(flags.reps ?? "tokens")[0] as Rep;
  const needsAttention = flags.cols === "reps" || first !== "tokens";
  const layers = needsAttention
    ? withoutEmbeddings(flags, first)
    : flags.depth === undefined
      ? { layers: flags.layers ?? "all" }
      : { depth: flags.depth };
  return { ...layers, reps: flags.cols === "images" ? first : (flags.reps ?? "tokens,q,k,v") };
}

/**
 * The segmentations of a figure. Rows of layers: one model at the layers of `--layers` or
 * `--depth`. Rows of models: every model of `--models` (or `--model`), each segmented at exactly
 * the blocks it shows, chosen for the first model and matched by relative depth for the others.
 */
export async function planFigure(flags: Flags, signal: AbortSignal): Promise<FigurePlan> {
  const { depth: _fractions, ...rest } = flags;
  // Columns of images or layers show one representation (the first of --reps): cluster only it.
  const first = parseReps(flags.reps ?? "tokens")[0] as Rep;
  if (flags.rows === "layers") {
    return { segmentations: [await segmentFromFlags({ ...rest, ...layerRowsSelection(flags) }, { signal })] };
  }
  const models = flags.models ?? [flags.model];
  const depths = await modelDepths(flags, models, signal);
  const plan =
    flags.cols === "layers" ? columnsByDepth(flags, depths) : { modelLayers: oneBlockEach(flags, depths) };
  const modelLayers = plan.modelLayers as number[][];
  if (flags.cols === "reps" && modelLayers[0]?.[0] === 0) throw onlyEmbeddings(flags, first);
  const reps = flags.cols === "reps" ? (flags.reps ?? "tokens,q,k,v") : first;
  const segmentations: Segmentation[] = [];
  for (const [m, model] of models.entries()) {
    const layers = [...new Set(modelLayers[m])].join(",");
    segmentations.push(await segmentFromFlags({ ...rest, model, reps, layers }, { signal }));
  }
  return { ...plan, segmentations };
}
