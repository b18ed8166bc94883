import { InputError } from "../errors";
import type { AlphaMode, Orientation } from "../images/decode-options";
import { listImages } from "../images/list-images";
import { createPreprocessConfig, type PreprocessConfig, type Rgb } from "../images/preprocess-config";
import { preprocessConfigFromHub } from "../images/preprocess-config-from-hub";
import type { FileChoice } from "../models/local-model";
import { type ResolvedModel, type ResolveOptions, resolveModel } from "../models/resolve-model";
import { prepareTappedModel, type TappedModel } from "../onnx/tapped-model";
import type { ExecutionProvider } from "../runtime/onnx-runtime";
import { REPS, type Rep } from "../vocabulary";
import { blocksAtDepths, parseDepths } from "./relative-depth";
import { checkSelection, parseLayers, parseReps } from "./selection";

/** What to extract: the options of `features()` and of `seglens features`. */
export interface FeatureRequest extends FileChoice {
  /** A model folder, an .onnx file, a catalog id (`dinov2-small`) or a Hub id `org/name[@revision]`. */
  model: string;
  /** Image files or folders (a folder contributes its images sorted by name). */
  images: readonly string[];
  /** Input resolution; rounded to the patch size. Default: the model's preprocessing. */
  size?: number;
  /** `all`, `1,3-5`, or block numbers (0 = embeddings, tokens only). Default all. */
  layers?: string | readonly number[];
  /**
   * The relative form of `layers`: fractions of the model's depth, each in 0..1; block
   * round(f · depth), 0 = the embeddings (`[0.25, 0.5, 1]` → blocks 3, 6, 12 of a 12-block model).
   * Give `layers` or `depth`, not both.
   */
  depth?: readonly number[];
  /** Default all four. */
  reps?: string | readonly Rep[];
  /** For an .onnx without preprocessor_config.json, or to override it. */
  mean?: Rgb;
  std?: Rgb;
  /** Transparency: `"drop"` (default, as transformers) or composite on `"white"`. */
  alpha?: AlphaMode;
  /** `"stored"` (default, as transformers' processors) or `"exif"` to apply the EXIF orientation. */
  orientation?: Orientation;
  /** Expected number of prefix tokens (CLS, registers); checked against the model's output. */
  prefixTokens?: number;
  threads?: number;
  ep?: ExecutionProvider;
  /** The checkpoint file of a catalog model that seglens converts (see `seglens models`). */
  checkpoint?: string;
}

/**
 * A request with everything resolved and validated, before any inference. `layers` × `reps` names
 * at least one feature; q, k, v at layer 0 are named but skipped (`missingFeatures` lists them).
 */
export interface PreparedRequest {
  model: ResolvedModel;
  tapped: TappedModel;
  preprocess: PreprocessConfig;
  images: string[];
  layers: number[];
  reps: Rep[];
  prefixTokens?: number;
}

/**
 * How models are fetched while a request is prepared: Hub settings, download progress, warnings,
 * cancellation (see `ResolveOptions`; `file` and `variant` come from the request).
 */
export type PrepareOptions = Omit<ResolveOptions, keyof FileChoice>;

/**
 * Resolves and validates `request`: the model (downloading it from the Hub when it is a catalog or
 * Hub id and not cached) and its taps, preprocessing, images, layers. Images are listed before any
 * download, so a bad `--images` fails at once.
 */
export async function prepareRequest(
  request: FeatureRequest,
  options: PrepareOptions = {},
): Promise<PreparedRequest> {
  checkLayerChoice(request);
  const images = listImages(request.images);
  const model = await resolveModel(request.model, {
    ...options,
    ...(request.file === undefined ? {} : { file: request.file }),
    ...(request.variant === undefined ? {} : { variant: request.variant }),
    ...(request.checkpoint === undefined ? {} : { checkpoint: request.checkpoint }),
  });
  const tapped = prepareTappedModel(model.onnxPath);
  const numLayers = tapped.taps.blocks.length;
  const layers = requestedLayers(request, numLayers);
  const reps =
    request.reps === undefined
      ? [...REPS]
      : typeof request.reps === "string"
        ? parseReps(request.reps)
        : parseReps(request.reps.join(","));
  checkSelection(layers, reps, numLayers);
  const patchSize = tapped.taps.patchSize ?? 1;
  const size = request.size === undefined ? undefined : roundToPatch(request.size, patchSize);
  const preprocess = resolvePreprocess(model, request, size);
  const prepared: PreparedRequest = { model, tapped, preprocess, images, layers, reps };
  if (request.prefixTokens !== undefined) prepared.prefixTokens = request.prefixTokens;
  return prepared;
}

/**
 * Refuses `layers` and `depth` together: both choose blocks, and which one wins would be a guess.
 * Checked before anything is loaded.
 */
export function checkLayerChoice(request: Pick<FeatureRequest, "layers" | "depth">): void {
  const { layers, depth } = request;
  if (layers === undefined || depth === undefined) return;
  const quote = (value: string | readonly number[]) => (typeof value === "string" ? value : value.join(","));
  throw new InputError(
    `--layers "${quote(layers)}" and --depth "${quote(depth)}" both choose blocks: give one (--layers block numbers, --depth fractions of each model's depth)`,
  );
}

/** The blocks `layers` or `depth` select in a `numLayers`-block model (default all). */
function requestedLayers(request: FeatureRequest, numLayers: number): number[] {
  // Numbers from code are checked as the command line's text is: NaN, -1 or 2 are refused alike.
  if (request.depth !== undefined) return blocksAtDepths(parseDepths(request.depth.join(",")), numLayers);
  if (request.layers === undefined) return parseLayers("all", numLayers);
  return parseLayers(
    typeof request.layers === "string" ? request.layers : request.layers.join(","),
    numLayers,
  );
}

function roundToPatch(size: number, patch: number): number {
  if (!Number.isFinite(size) || size <= 0)
    throw new InputError(`invalid --size ${size}; expected a positive number of pixels`);
  return Math.max(patch, Math.round(size / patch) * patch);
}

function resolvePreprocess(
  model: ResolvedModel,
  request: FeatureRequest,
  size: number | undefined,
): PreprocessConfig {
  // Flags win over the catalog's corrections, which win over preprocessor_config.json.
  const overrides = {
    ...model.preprocessOverrides,
    ...(size === undefined ? {} : { size }),
    ...(request.mean === undefined ? {} : { mean: request.mean }),
    ...(request.std === undefined ? {} : { std: request.std }),
    ...(request.alpha === undefined ? {} : { alpha: request.alpha }),
    ...(request.orientation === undefined ? {} : { orientation: request.orientation }),
  };
  if (model.preprocessor !== undefined) return preprocessConfigFromHub(model.preprocessor, overrides);
  if (request.mean === undefined || request.std === undefined || size === undefined) {
    throw new InputError(
      `model "${request.model}" has no preprocessor_config.json beside it: pass --mean, --std and --size (and --prefix-tokens to check the prefix)`,
    );
  }
  return createPreprocessConfig({
    ...(request.alpha === undefined ? {} : { alpha: request.alpha }),
    ...(request.orientation === undefined ? {} : { orientation: request.orientation }),
    resize: { mode: "exact", height: size, width: size },
    normalize: { mean: request.mean, std: request.std },
  });
}
