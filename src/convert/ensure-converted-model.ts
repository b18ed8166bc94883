import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openCheckpoint } from "../checkpoints/open-checkpoint";
import { InputError } from "../errors";
import type { HubClient } from "../hub/hub-client";
import type { DownloadProgress } from "../hub/hub-download";
import { preprocessConfigFromHub } from "../images/preprocess-config-from-hub";
import { sha256File } from "../util/sha256";
import type { Architecture } from "./architecture";
import type { ConversionRecipe, UrlRecipe } from "./conversion-recipe";
import { fetchHubSource, sourceCommit } from "./fetch-hub-source";
import { fetchUrlCheckpoint } from "./fetch-url-checkpoint";
import { sourceArchitecture } from "./source-architecture";
import { timmPreprocessor } from "./timm-preprocessor";
import { type ConvertProgress, writeConvertedModel } from "./write-converted-model";

/**
 * The converter's version: part of every conversion's identity, so a converter that builds
 * different graphs converts again instead of reusing an older folder.
 */
export const CONVERTER_VERSION = 1;

/** The file in a converted folder that says what it was converted from. */
export const CONVERSION_MARKER = "seglens-conversion.json";

/** What a converted folder was made from. */
export interface ConversionIdentity {
  converter: number;
  /** The source: Hub repo and commit, or the checkpoint file's sha256. */
  source: { repo: string; commit: string } | { sha256: string };
}

/** Options of {@link ensureConvertedModel}. */
export interface EnsureConvertedOptions {
  client: HubClient;
  /** The checkpoint file for recipes `from: "file"` (and to override a URL's). */
  checkpoint?: string;
  /** Where downloaded research checkpoints are kept. */
  checkpointDir: string;
  /** Told before a conversion starts, with what it will download and write. */
  onNote?: (message: string) => void;
  /** Parameters in millions (the catalog's), for the estimates in that note. */
  paramsM?: number;
  onProgress?: (progress: DownloadProgress | { file: string; doneBytes: number; totalBytes: number }) => void;
  /** Told how many blocks of the graph are written while it converts (after the download). */
  onConvertProgress?: (progress: ConvertProgress) => void;
  /** Stops the download or the conversion; a stopped conversion leaves no folder behind. */
  signal?: AbortSignal;
}

/**
 * Makes catalog model `id` available as a converted ONNX folder (`folder`, in Hub layout) and
 * returns what it was converted from: an existing conversion of the same source and converter version is used as is
 * (offline too); otherwise the source is fetched (Hub repo, pinned URL or `--checkpoint` file) and
 * converted once, atomically (see `writeConvertedModel`).
 */
export async function ensureConvertedModel(
  id: string,
  recipe: ConversionRecipe,
  folder: string,
  options: EnsureConvertedOptions,
): Promise<ConversionIdentity> {
  const existing = readIdentity(folder);
  const current = existing?.converter === CONVERTER_VERSION ? existing : undefined;
  // Offline, a research checkpoint passed as a file still converts: it needs no network.
  const fromFile = recipe.from !== "hub" && options.checkpoint !== undefined;
  if (options.client.settings.offline && !fromFile) {
    if (current !== undefined) return current;
    throw new InputError(
      `model "${id}" is converted on first use, and HF_HUB_OFFLINE is set: run once online${recipe.from === "hub" ? "" : " (or pass --checkpoint PATH)"} to convert it`,
    );
  }
  switch (recipe.from) {
    case "hub": {
      const revision = recipe.revision ?? "main";
      const { commit } = await sourceCommit(options.client, recipe.repo, revision, options.signal);
      const identity: ConversionIdentity = {
        converter: CONVERTER_VERSION,
        source: { repo: recipe.repo, commit },
      };
      if (current !== undefined && sameSource(current, identity.source)) return current;
      options.onNote?.(conversionNote(id, `${recipe.repo}@${commit.slice(0, 7)}`, folder, options.paramsM));
      const source = await fetchHubSource(options.client, recipe.repo, commit, {
        ...withSignal(options),
        ...(recipe.file === undefined ? {} : { file: recipe.file }),
      });
      const label = `"${id}" (${recipe.repo})`;
      // timm repos ship no preprocessor config: their config.json says how timm preprocesses.
      const preprocessor =
        recipe.preprocessor ??
        source.preprocessor ??
        (recipe.layout === "timm" ? timmPreprocessor(source.config, label) : undefined);
      await convert(source.weights, recipe, folder, label, {
        config: source.config,
        preprocessor,
        identity,
        signal: options.signal,
        onProgress: options.onConvertProgress,
      });
      return identity;
    }
    case "url":
    case "file": {
      // A pinned URL whose conversion is there needs neither the download nor a hash.
      if (recipe.from === "url" && recipe.sha256 !== null && options.checkpoint === undefined) {
        if (current !== undefined && sameSource(current, { sha256: recipe.sha256 })) return current;
      }
      const path =
        options.checkpoint ?? (recipe.from === "url" ? undefined : missingCheckpoint(id, recipe.where));
      if (path !== undefined && !existsSync(path))
        throw new InputError(`--checkpoint "${path}" does not exist`);
      const file = path ?? (await fetchUrlCheckpoint(recipe as UrlRecipe, options));
      // A pinned download was checked against its sha256 by the transfer; other files are hashed here.
      const pinned = path === undefined && recipe.from === "url" ? recipe.sha256 : null;
      const sha256 = pinned ?? (await sha256File(file, options.signal));
      const identity: ConversionIdentity = { converter: CONVERTER_VERSION, source: { sha256 } };
      if (current !== undefined && sameSource(current, identity.source)) return current;
      const shown = path ?? (recipe.from === "url" ? recipe.url : file);
      options.onNote?.(conversionNote(id, shown, folder, options.paramsM));
      await convert(file, recipe, folder, `"${id}" (${file})`, {
        config: undefined,
        preprocessor: recipe.preprocessor,
        identity,
        signal: options.signal,
        onProgress: options.onConvertProgress,
      });
      return identity;
    }
    default: {
      const unknown: never = recipe;
      throw new InputError(`model "${id}": unknown conversion source ${JSON.stringify(unknown)}`);
    }
  }
}

async function convert(
  weights: string,
  recipe: ConversionRecipe,
  folder: string,
  label: string,
  extra: {
    config: unknown;
    preprocessor: unknown;
    identity: ConversionIdentity;
    signal: AbortSignal | undefined;
    onProgress: ((progress: ConvertProgress) => void) | undefined;
  },
): Promise<void> {
  if (extra.preprocessor === undefined) {
    throw new InputError(`${label}: the source has no preprocessor_config.json and the catalog gives none`);
  }
  const checkpoint = await openCheckpoint(weights);
  try {
    const architecture: Architecture = sourceArchitecture(
      recipe.layout,
      checkpoint,
      extra.config,
      {
        ...(recipe.prefix === undefined ? {} : { prefix: recipe.prefix }),
        ...(recipe.heads === undefined ? {} : { heads: recipe.heads }),
        ...(recipe.norm_eps === undefined ? {} : { normEps: recipe.norm_eps }),
      },
      label,
    );
    // The graph is built for the input the preprocessing makes (DINOv2: a 224 crop, while its
    // position table was trained at 518).
    const [height, width] = preprocessConfigFromHub(extra.preprocessor).outputSize;
    const p = architecture.spec.patchSize;
    await writeConvertedModel(checkpoint, architecture, folder, {
      grid: [Math.floor(height / p), Math.floor(width / p)],
      ...(extra.config === undefined ? {} : { config: extra.config }),
      preprocessor: extra.preprocessor,
      label,
      marker: { name: CONVERSION_MARKER, content: extra.identity },
      ...(extra.signal === undefined ? {} : { signal: extra.signal }),
      ...(extra.onProgress === undefined ? {} : { onProgress: extra.onProgress }),
    });
  } finally {
    await checkpoint.close();
  }
}

function readIdentity(folder: string): ConversionIdentity | undefined {
  const path = join(folder, CONVERSION_MARKER);
  if (!existsSync(path) || !existsSync(join(folder, "onnx", "model.onnx"))) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as ConversionIdentity;
  } catch {
    return undefined; // unreadable: convert again
  }
}

function sameSource(identity: ConversionIdentity, source: ConversionIdentity["source"]): boolean {
  return JSON.stringify(identity.source) === JSON.stringify(source);
}

// Measured: a ViT-B checkpoint (344 MB in fp32) converts in 4 s with a peak of 111 MB resident,
// on 2 busy cores; the converter holds one tensor at a time.
const CONVERT_BYTES_PER_SECOND = 80e6;
const CONVERT_BASE_MEMORY_BYTES = 100e6;

/** What a conversion will take, said before it starts. */
function conversionNote(id: string, source: string, folder: string, paramsM: number | undefined): string {
  const start = `converting "${id}" from ${source} once, into ${folder}`;
  if (paramsM === undefined) return start;
  const bytes = paramsM * 4e6;
  const gb = (b: number) => `${(b / 1e9).toFixed(b < 1e9 ? 2 : 1)} GB`;
  // The largest tensor of a ViT is an MLP matrix, about 1/12 of a block's weights.
  const memory = CONVERT_BASE_MEMORY_BYTES + (3 * bytes) / 100;
  const seconds = Math.max(1, Math.round(bytes / CONVERT_BYTES_PER_SECOND));
  return `${start}: writes ${gb(bytes)} of float32 weights, needs about ${gb(memory)} of memory and ~${seconds} s after the download`;
}

function missingCheckpoint(id: string, where: string): never {
  throw new InputError(
    `model "${id}" is only shared by a download link (${where}): download it and pass --checkpoint PATH`,
  );
}

function withSignal(options: EnsureConvertedOptions) {
  return {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  };
}
