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
  const images = listImages(request.images);
  const model = await resolveModel(request.model, {
    ...options,
    ...(request.file === undefined ? {} : { file: request.file }),
    ...(request.variant === undefined ? {} : { variant: request.variant }),
    ...(request.checkpoint === undefined ? {} : { checkpoint: request.checkpoint }),
  });
  const tapped = prepareTappedModel(model.onnxPath);
  const numLayers = tapped.taps.blocks.length;
  const layers =
    request.layers === undefined
      ? parseLayers("all", numLayers)
      : typeof request.layers === "string"
        ? parseLayers(request.layers, numLayers)
        : parseLayers(request.layers.join(","), numLayers);
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
