import { statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { InputError } from "../errors";
import { externalDataFiles } from "../hub/external-data";
import type { AlphaMode, Orientation } from "../images/decode-options";
import { listImages } from "../images/list-images";
import { createPreprocessConfig, type PreprocessConfig, type Rgb } from "../images/preprocess-config";
import { preprocessConfigFromHub } from "../images/preprocess-config-from-hub";
import type { FileChoice } from "../models/local-model";
import { type MemoryPlan, memoryLimitBytes, parseMemorySize, planMemory } from "../models/memory-estimate";
import { type ResolvedModel, type ResolveOptions, resolveModel } from "../models/resolve-model";
import { prepareTappedModel, type TappedModel } from "../onnx/tapped-model";
import type { ExecutionProvider } from "../runtime/onnx-runtime";
import { REPS, type Rep } from "../vocabulary";
import { blocksAtDepths, parseDepths } from "./relative-depth";
import { checkSelection, missingFeatures, parseLayers, parseReps } from "./selection";
import { type Shard, type ShardInfo, shardImages } from "./shard";

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
  /**
   * Only shard `index` of `count` of the images (numbered from 0): a contiguous run of the list,
   * images floor(index·n/count) up to floor((index+1)·n/count) of n, so the shards in order give the
   * whole list (`seglens features --shard i/N`). A shard left with no images is refused.
   */
  shard?: Shard;
  /**
   * The memory the run may use: bytes, or a size like `"8G"` (K, M, G, T: powers of 1024); `"off"`
   * or 0: no limit. Default `SEGLENS_MEMORY_LIMIT`, else the machine's memory. A model that cannot
   * fit is refused before it is downloaded, a run that cannot fit one image per batch before any
   * inference; batch size and the feature cache's budget follow it (`PreparedRequest.memoryPlan`).
   */
  maxMemory?: number | string;
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
  /** Which shard of the listed images `images` is, when the request named one. */
  shard?: ShardInfo;
  /** The memory limit and the budgets that keep the run within it. */
  memoryPlan: MemoryPlan;
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
  const limit = memoryLimit(request, options);
  const listed = listImages(request.images);
  const shard = request.shard === undefined ? undefined : shardImages(listed, request.shard);
  const images = shard?.images ?? listed;
  const model = await resolveModel(request.model, {
    ...options,
    memoryLimitBytes: limit.bytes,
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
  const fetches = layers.length * reps.length - missingFeatures(layers, reps).length;
  const memoryPlan = planRunMemory({ model, tapped, preprocess, fetches, request, limit });
  const prepared: PreparedRequest = { model, tapped, preprocess, images, layers, reps, memoryPlan };
  if (request.prefixTokens !== undefined) prepared.prefixTokens = request.prefixTokens;
  if (shard !== undefined) prepared.shard = shard.info;
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

/** A memory limit and where it came from (messages quote it). */
interface MemoryLimit {
  bytes: number | undefined;
  source: string;
}

/** `maxMemory` wins over the caller's `memoryLimitBytes`, which wins over `SEGLENS_MEMORY_LIMIT`. */
function memoryLimit(request: FeatureRequest, options: PrepareOptions): MemoryLimit {
  if (request.maxMemory !== undefined) {
    return {
      bytes: parseMemorySize(request.maxMemory, "--max-memory"),
      source: `--max-memory "${request.maxMemory}"`,
    };
  }
  if ("memoryLimitBytes" in options) return { bytes: options.memoryLimitBytes, source: "memoryLimitBytes" };
  const variable = process.env.SEGLENS_MEMORY_LIMIT?.trim();
  const source =
    variable === undefined || variable === "" ? "the machine's memory" : `SEGLENS_MEMORY_LIMIT "${variable}"`;
  return { bytes: memoryLimitBytes(), source };
}

// Room for the prefix tokens when the model does not say (CLS + up to 4 registers, and some slack).
const PREFIX_ALLOWANCE = 8;

/** The memory plan of a prepared request: its weights on disk, its shapes, what it fetches. */
function planRunMemory(run: {
  model: ResolvedModel;
  tapped: TappedModel;
  preprocess: PreprocessConfig;
  fetches: number;
  request: FeatureRequest;
  limit: MemoryLimit;
}): MemoryPlan {
  const { model, tapped, request } = run;
  const patch = tapped.taps.patchSize ?? 1;
  const [height, width] = run.preprocess.outputSize;
  const prefix = request.prefixTokens ?? model.catalog?.prefix_tokens ?? PREFIX_ALLOWANCE;
  const variant = request.file ?? request.variant;
  return planMemory(
    {
      weightBytes: weightBytes(model.onnxPath, tapped),
      layers: tapped.taps.blocks.length,
      hiddenSize: tapped.taps.hiddenSize,
      tokens: prefix + Math.floor(height / patch) * Math.floor(width / patch),
      fetches: run.fetches,
    },
    {
      limitBytes: run.limit.bytes,
      limitSource: run.limit.source,
      what: `"${request.model}"${variant === undefined ? "" : ` (${variant})`}`,
    },
  );
}

/** Bytes of a model's weights on disk: the .onnx file and its external data files, if any. */
function weightBytes(onnxPath: string, tapped: TappedModel): number {
  const data = tapped.externalDataDir === undefined ? [] : externalDataFiles(onnxPath, basename(onnxPath));
  return [onnxPath, ...data.map((file) => join(dirname(onnxPath), file))].reduce(
    (sum, path) => sum + statSync(path).size,
    0,
  );
}
