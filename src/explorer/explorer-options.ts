/**
 * The options of `explore()` and the checks every control value passes, whether it comes from
 * the call or from the view (OptionTypeError for a wrong kind, OptionRangeError for a value out of range: both InputErrors).
 */

import { OptionRangeError, OptionTypeError } from "../errors";
import type { FeatureCache } from "../features/feature-cache";
import type { ViewChecks } from "../kernel/ipywidgets/widget";
import { preview } from "../kernel/wire/wire-message";
import { loadCatalog } from "../models/catalog";
import { checkCheckpointModel } from "../models/resolve-model";
import { checkPage, checkPageSize } from "../util/paging";
import {
  DEFAULT_K,
  DEFAULT_OPACITY,
  DEFAULT_PAGE_SIZE,
  EXPLORER_LIMITS,
  KMEANS_NORMALIZATIONS,
  type KMeansNormalize,
  LENSES,
  type Lens,
  REPS,
  type Rep,
} from "../vocabulary";
import type { ExplorerEngineOptions, ExplorerRequest } from "./explorer-engine";
import type { AttentionHead, ExplorerIdentity, ExplorerState } from "./explorer-state";

/** Options of `explore()`. */
export interface ExploreOptions {
  /** A model folder, .onnx file, catalog id or Hub id; or up to 3 of them, shown side by side. */
  model: string | readonly string[];
  /** More models the selector offers, to switch to or add side by side; default none. */
  choices?: readonly string[];
  /** Image files or folders (a folder contributes its images sorted by name). */
  images: string | readonly string[];
  /** Number of clusters, 2..32; default 6. */
  k?: number;
  /** Representation clustered; default `"tokens"`. */
  rep?: Rep;
  /**
   * What the panels show: `"clusters"` (default), `"pca"` (the first three principal components
   * of each layer as RGB, fitted jointly over the image set) or `"attention"` (the CLS token's
   * attention over the patches; without a CLS token, the patch queries' mean).
   */
  lens?: Lens;
  /** The attention lens's head, 0-based, or `"mean"` over the heads (default). */
  head?: AttentionHead;
  /**
   * Inclusive block range `[first, last]` of the first model; default every layer. A model of
   * another depth shows, under block l of an L-block first model, its block round(l·L′/L).
   */
  layers?: readonly [first: number, last: number];
  /**
   * The relative form of `layers`: fractions of each model's depth in (0, 1], e.g.
   * `[0.25, 0.5, 0.75, 1]` shows blocks 3, 6, 9, 12 of a 12-block model beside blocks 6, 12, 18,
   * 24 of a 24-block one. Not together with `layers`. The layer range control then shows the
   * first model's blocks from the first to the last of them; changing it shows that range instead.
   */
  depth?: readonly number[];
  /**
   * The image every panel shows at first: an index into the image set, or `"all"` (the page side by
   * side). Default: all of a set of up to 8 images, else the first image (the view's ←/→ switch
   * images, `a` shows them all).
   */
  image?: number | "all";
  /** Overlay opacity 0..1; default 0.6. */
  opacity?: number;
  /** Normalization before k-means; default `"l2"`. */
  normalize?: KMeansNormalize;
  /**
   * Images shown at a time, 1..64; default 12. The view pages through the set; k-means still
   * clusters every image of it together, so a page change only draws.
   */
  pageSize?: number;
  /**
   * While idle, compute the frames of the other K values (nearest first), so moving the K slider
   * then only draws; any control change stops it. Default true.
   */
  precompute?: boolean;
  /** Share a feature cache between explorers; default a fresh one per widget. */
  cache?: FeatureCache;
  /**
   * The downloaded checkpoint file of the first model in `model`, a catalog model only shared by
   * a download link (as the command line's `--checkpoint PATH`; `seglens models` says which). It
   * is used for that model only: other models of `model` or `choices` never get it. Refused for
   * a model that is not converted from a checkpoint.
   */
  checkpoint?: string;
}

/** Defaults of {@link ExploreOptions}. */
export const EXPLORE_DEFAULTS = Object.freeze({
  k: DEFAULT_K,
  rep: "tokens" as Rep,
  lens: "clusters" as Lens,
  head: "mean" as AttentionHead,
  opacity: DEFAULT_OPACITY,
  normalize: "l2" as KMeansNormalize,
  pageSize: DEFAULT_PAGE_SIZE,
});

export { EXPLORER_LIMITS } from "../vocabulary";

/** Checks `k`; returns it. */
export function checkK(k: unknown): number {
  if (typeof k !== "number" || !Number.isInteger(k))
    throw new OptionTypeError(`invalid k ${preview(k)}; expected an integer`);
  if (k < EXPLORER_LIMITS.minK || k > EXPLORER_LIMITS.maxK)
    throw new OptionRangeError(`invalid k ${k}; expected ${EXPLORER_LIMITS.minK}..${EXPLORER_LIMITS.maxK}`);
  return k;
}

/** Checks a representation; returns it. */
export function checkRep(rep: unknown): Rep {
  if (!(REPS as readonly unknown[]).includes(rep))
    throw new OptionTypeError(`invalid rep ${preview(rep)}; expected one of ${REPS.join(", ")}`);
  return rep as Rep;
}

/** Checks a normalization; returns it. */
export function checkNormalize(normalize: unknown): KMeansNormalize {
  if (!(KMEANS_NORMALIZATIONS as readonly unknown[]).includes(normalize))
    throw new OptionTypeError(`invalid normalize ${preview(normalize)}; expected "l2" or "none"`);
  return normalize as KMeansNormalize;
}

/** Checks a page size (1..64); `name` as the caller spells it (`pageSize`, `page_size`). Returns it. */
export function checkExplorerPageSize(pageSize: unknown, name = "pageSize"): number {
  return checkPageSize(pageSize, EXPLORER_LIMITS.maxPageSize, name);
}

/** Checks an opacity; returns it. */
export function checkOpacity(opacity: unknown): number {
  if (typeof opacity !== "number" || !(opacity >= 0 && opacity <= 1))
    throw new OptionRangeError(`invalid opacity ${preview(opacity)}; expected a number in 0..1`);
  return opacity;
}

/** Checks a model list (1 to 3 non-empty strings, no duplicates); returns a copy. */
export function checkModels(models: unknown): string[] {
  const list = typeof models === "string" ? [models] : models;
  if (!Array.isArray(list) || !list.every((m) => typeof m === "string" && m.length > 0))
    throw new OptionTypeError(`invalid models ${preview(models)}; expected a model id or a list of them`);
  if (list.length < 1 || list.length > EXPLORER_LIMITS.maxModels || new Set(list).size !== list.length)
    throw new OptionRangeError(
      `invalid models ${preview(list)}; expected 1 to ${EXPLORER_LIMITS.maxModels} different models`,
    );
  return [...(list as string[])];
}

/** The models the selector offers: the shown ones, then the other `choices` (non-empty strings). */
export function checkChoices(models: readonly string[], choices: unknown = []): string[] {
  if (!Array.isArray(choices) || !choices.every((m) => typeof m === "string" && m.length > 0))
    throw new OptionTypeError(`invalid choices ${preview(choices)}; expected a list of model ids`);
  return [...new Set([...models, ...(choices as string[])])];
}

/** Checks a layer range's shape (the engine checks it against the models' depth); returns a copy. */
export function checkLayerRange(range: unknown): [first: number, last: number] {
  if (!Array.isArray(range) || range.length !== 2 || !range.every((l) => Number.isInteger(l)))
    throw new OptionTypeError(`invalid layer range ${preview(range)}; expected [first, last] block numbers`);
  const [first, last] = range as [number, number];
  if (first < 0 || first > last)
    throw new OptionRangeError(`invalid layer range [${first}, ${last}]; expected 0 ≤ first ≤ last`);
  return [first, last];
}

/**
 * Checks `depth` (fractions of each model's depth, each in (0, 1]) and that it does not come with
 * `layers`; returns a copy, or undefined when not given.
 */
export function checkDepth(depth: unknown, layers: unknown): number[] | undefined {
  if (depth === undefined) return undefined;
  if (layers !== undefined)
    throw new OptionTypeError(
      `invalid options: layers ${preview(layers)} and depth ${preview(depth)} given together; expected one of them (layers: the first model's blocks, depth: fractions of every model's depth)`,
    );
  if (!Array.isArray(depth) || depth.length === 0 || !depth.every((f) => typeof f === "number"))
    throw new OptionTypeError(
      `invalid depth ${preview(depth)}; expected a list of fractions, e.g. [0.25, 0.5, 0.75, 1]`,
    );
  const outside = depth.find((f) => !(f > 0 && f <= 1));
  if (outside !== undefined)
    throw new OptionRangeError(
      `invalid depth entry ${preview(outside)}; expected fractions of the model's depth above 0 up to 1 (the explorer shows blocks, not the embeddings)`,
    );
  return [...(depth as number[])];
}

/**
 * The checkpoint option as the engine takes it: the file, for the first of `models`. Refused, as
 * on the command line, when that model is not a catalog model converted from a checkpoint.
 */
export function checkCheckpoint(
  checkpoint: unknown,
  models: readonly string[],
): { model: string; path: string } | undefined {
  if (checkpoint === undefined) return undefined;
  if (typeof checkpoint !== "string" || checkpoint === "")
    throw new OptionTypeError(
      `invalid checkpoint ${preview(checkpoint)}; expected the path of a checkpoint file`,
    );
  const model = models[0] as string;
  checkCheckpointModel(model, loadCatalog(), "checkpoint");
  return { model, path: checkpoint };
}

/** What the engine of `explore(options)` is made with; checks the checkpoint against the first model. */
export function engineOptions(options: ExploreOptions): ExplorerEngineOptions {
  const checkpoint = checkCheckpoint(options.checkpoint, checkModels(options.model));
  return {
    images: typeof options.images === "string" ? [options.images] : options.images,
    ...(options.cache === undefined ? {} : { cache: options.cache }),
    ...(checkpoint === undefined ? {} : { checkpoint }),
  };
}

/** The synced state of a new explorer for `options` (checked), before any frame. */
export function initialState(
  options: ExploreOptions,
  models: string[],
): Omit<ExplorerState, keyof ExplorerIdentity> {
  return {
    model_choices: checkChoices(models, options.choices),
    layer_bounds: [1, 1],
    image_names: [],
    models,
    k: checkK(options.k ?? EXPLORE_DEFAULTS.k),
    rep: checkRep(options.rep ?? EXPLORE_DEFAULTS.rep),
    lens: checkLens(options.lens ?? EXPLORE_DEFAULTS.lens),
    head: checkHead(options.head ?? EXPLORE_DEFAULTS.head),
    heads: 0,
    layer_range: options.layers === undefined ? [1, 1] : checkLayerRange(options.layers),
    image: options.image === undefined ? "all" : checkImage(options.image, 0),
    page: 0,
    page_size: checkExplorerPageSize(options.pageSize ?? EXPLORE_DEFAULTS.pageSize),
    opacity: checkOpacity(options.opacity ?? EXPLORE_DEFAULTS.opacity),
    normalize: checkNormalize(options.normalize ?? EXPLORE_DEFAULTS.normalize),
    status: { kind: "loading", stage: "features", done: 0, total: 1 },
    images: null,
    page_images: [],
    frame: null,
    view_error: null,
  };
}

/** Checks a lens name; returns it. */
export function checkLens(lens: unknown): Lens {
  if (!(LENSES as readonly unknown[]).includes(lens))
    throw new OptionTypeError(`invalid lens ${preview(lens)}; expected one of ${LENSES.join(", ")}`);
  return lens as Lens;
}

/** Checks an attention head: "mean", or a 0-based index below `heads` once they are known (> 0). */
export function checkHead(head: unknown, heads = 0): AttentionHead {
  if (head === "mean") return head;
  if (typeof head !== "number" || !Number.isInteger(head) || head < 0 || (heads > 0 && head >= heads))
    throw new OptionRangeError(
      `invalid head ${preview(head)}; expected "mean" or a head index ${heads > 0 ? `0..${heads - 1}` : "≥ 0"}`,
    );
  return head;
}

/** Checks the image choice against the number of images; returns it. */
export function checkImage(image: unknown, count: number): number | "all" {
  if (image === "all") return image;
  if (typeof image !== "number" || !Number.isInteger(image) || image < 0 || (count > 0 && image >= count))
    throw new OptionRangeError(`invalid image ${preview(image)}; expected "all" or an index below ${count}`);
  return image;
}

/**
 * The checks of the controls the view writes, which the kernel applies to every update before it
 * keeps a value (the view checks too, but any front end can send anything): models only from
 * `model_choices` (a front end must not make the kernel open other files or download other
 * models), a layer range within `layer_bounds` once a frame has set them, an image index below
 * the number of images, a page among the pages of the image set at the page size held before the
 * update. Every other key is the kernel's.
 */
export const EXPLORER_VIEW_CHECKS: ViewChecks<Omit<ExplorerState, keyof ExplorerIdentity>> = Object.freeze({
  models: (value: unknown, state: Pick<ExplorerState, "model_choices">) => {
    const models = checkModels(value);
    const unknown = models.filter((m) => !state.model_choices.includes(m));
    if (unknown.length > 0)
      throw new OptionRangeError(
        `invalid models ${preview(unknown)}; expected models the selector offers: ${preview(state.model_choices)}`,
      );
    return models;
  },
  k: checkK,
  rep: checkRep,
  lens: checkLens,
  head: (value: unknown, state: Pick<ExplorerState, "heads">) => checkHead(value, state.heads),
  layer_range: (value: unknown, state: Pick<ExplorerState, "layer_bounds" | "frame">) => {
    const [first, last] = checkLayerRange(value);
    const [min, max] = state.layer_bounds;
    if (state.frame !== null && (first < min || last > max))
      throw new OptionRangeError(`invalid layer range [${first}, ${last}]; expected within [${min}, ${max}]`);
    return [first, last] as [first: number, last: number];
  },
  image: (value: unknown, state: Pick<ExplorerState, "image_names">) =>
    checkImage(value, state.image_names.length),
  opacity: checkOpacity,
  normalize: checkNormalize,
  page: (value: unknown, state: Pick<ExplorerState, "image_names" | "page_size">) =>
    checkPage(value, state.image_names.length, state.page_size),
  page_size: (value: unknown) => checkExplorerPageSize(value, "page_size"),
});

/**
 * The engine request for the widget's controls. `blocks` says which blocks show when the user has
 * not picked a layer range: `explore({ depth })`'s fractions, or all of them; `undefined` when the
 * user has picked one (the state's `layer_range`). Throws an InputError for a bad control value.
 */
export function requestOf(
  state: Omit<ExplorerState, keyof ExplorerIdentity>,
  blocks: number[] | "all" | undefined,
): ExplorerRequest {
  return {
    models: checkModels(state.models),
    k: checkK(state.k),
    rep: checkRep(state.rep),
    lens: checkLens(state.lens),
    head: checkHead(state.head, state.heads),
    layerRange: blocks === undefined ? checkLayerRange(state.layer_range) : undefined,
    ...(Array.isArray(blocks) ? { depths: blocks } : {}),
    normalize: checkNormalize(state.normalize),
    page: state.page,
    pageSize: checkExplorerPageSize(state.page_size, "page_size"),
  };
}
