import { existsSync } from "node:fs";
import { join, posix } from "node:path";
import { type ConversionIdentity, ensureConvertedModel } from "../convert/ensure-converted-model";
import type { ConvertProgress } from "../convert/write-converted-model";
import { InputError } from "../errors";
import { loadableModelPath } from "../hub/external-data";
import { createHubClient, type HubClient } from "../hub/hub-client";
import type { DownloadProgress } from "../hub/hub-download";
import { DEFAULT_ONNX_FILE, fetchHubModel } from "../hub/hub-model";
import { type HubSettings, hubSettingsFromEnv } from "../hub/hub-settings";
import type { PreprocessOverrides } from "../images/preprocess-config-from-hub";
import { seglensCacheDir } from "../util/cache-dir";
import { type Catalog, type CatalogEntry, loadCatalog } from "./catalog";
import { type FileChoice, type LocalModel, resolveLocalModel, VARIANT_FILES } from "./local-model";
import { bytesPerParameter, checkMemory, memoryLimitBytes } from "./memory-estimate";

/** A resolved model: the files to run plus where they came from. */
export interface ResolvedModel extends LocalModel {
  /** The Hub repo, revision and commit, for a model fetched from the Hub (meta.json's provenance). */
  hub?: { repo: string; revision: string; commit: string };
  /** The catalog entry, when the argument was a catalog id. */
  catalog?: CatalogEntry;
  /** Preprocessing corrections from the catalog, applied over preprocessor_config.json. */
  preprocessOverrides?: PreprocessOverrides;
  /** For a catalog model seglens converted from a checkpoint: what it was converted from. */
  conversion?: ConversionIdentity;
}

/** Options of {@link resolveModel}. */
export interface ResolveOptions extends FileChoice {
  /** Hub endpoint, cache, token, offline; default from the environment (`hubSettingsFromEnv`). */
  hub?: HubSettings;
  /** A client of one's own (tests use one with no retry pause); default `createHubClient(hub)`. */
  client?: HubClient;
  /** Default `loadCatalog()` (the bundled catalog, or `SEGLENS_CATALOG`). */
  catalog?: Catalog;
  /** Memory a run may take, bytes; undefined: no check. Default `memoryLimitBytes()` (total memory). */
  memoryLimitBytes?: number | undefined;
  /** Revalidate a cached Hub model against the Hub (default false: a complete cached copy serves without requests). */
  refresh?: boolean;
  onProgress?: (progress: DownloadProgress) => void;
  onWarning?: (message: string) => void;
  /** Told what a first-use conversion will do, before it starts. */
  onNote?: (message: string) => void;
  /** Told how many blocks a first-use conversion has written. */
  onConvertProgress?: (progress: ConvertProgress) => void;
  /** The checkpoint file of a catalog model that is converted from a file (`--checkpoint`). */
  checkpoint?: string;
  signal?: AbortSignal;
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/**
 * Resolves a model argument (README.md, `--model`), in this order: an existing local path (a Hub-layout
 * folder or an `.onnx` file; never any network), a catalog id (`dinov2-small`, optionally
 * `@revision`), a Hub id `org/name[@revision]`. Hub models are fetched into the cache shared with
 * Python tools (see `fetchHubModel`); a catalog model that cannot fit in memory is refused before
 * any request. `--file` names a file; `--variant` picks `<file>_<variant>.onnx` beside the default one.
 * A model whose external data is linked from elsewhere (Hub snapshots) is presented through hard
 * links in seglens' cache, which onnxruntime accepts (see `loadableModelPath`).
 *
 * @example
 * const model = await resolveModel("dinov2-small", { variant: "fp16" });
 * model.onnxPath; // …/hub/models--Xenova--dinov2-small/snapshots/<commit>/onnx/model_fp16.onnx
 */
export async function resolveModel(arg: string, options: ResolveOptions = {}): Promise<ResolvedModel> {
  const model = await resolveAnyModel(arg, options);
  return { ...model, onnxPath: loadableModelPath(model.onnxPath, join(seglensCacheDir(), "linked-models")) };
}

async function resolveAnyModel(arg: string, options: ResolveOptions): Promise<ResolvedModel> {
  if (arg.trim() === "")
    throw new InputError("no model given: pass --model with a folder, an .onnx file or a model id");
  if (options.checkpoint !== undefined) checkCheckpointModel(arg, options.catalog ?? loadCatalog());
  const choice = fileChoice(options);
  const local = resolveLocalModel(arg, choice);
  if (local !== undefined) return local;
  const at = arg.indexOf("@");
  const name = at < 0 ? arg : arg.slice(0, at);
  const revision = at < 0 ? undefined : arg.slice(at + 1);
  if (revision === "") throw new InputError(`model "${arg}" has an empty revision after "@"`);
  const catalog = options.catalog ?? loadCatalog();
  const entry = catalog.find(name);

  if (entry !== undefined) return resolveCatalogModel(arg, entry, revision, options);
  if (HUB_ID.test(name)) {
    const file =
      choice.file ??
      (choice.variant === undefined ? undefined : variantFile(DEFAULT_ONNX_FILE, choice.variant));
    return resolveHubModel(arg, name, revision, file, options, (bytes) =>
      checkMemory(`"${name}"`, { weightBytes: bytes }, limitOf(options)),
    );
  }
  throw new InputError(
    `model "${arg}" not found: it is not an existing folder or .onnx file, not a catalog id (list them with \`seglens models\`) and not a Hub id org/name[@revision]`,
  );
}

async function resolveCatalogModel(
  arg: string,
  entry: CatalogEntry,
  revision: string | undefined,
  options: ResolveOptions,
): Promise<ResolvedModel> {
  const variant = options.variant ?? "fp32";
  const tokens = entry.prefix_tokens + (entry.input_size / entry.patch_size) ** 2;
  const size = { layers: entry.layers, hiddenSize: entry.hidden_size, tokens };
  const label = `"${entry.id}" (${entry.params_m} M parameters, ${options.file ?? variant}, ${entry.input_size} px)`;
  const perParameter = options.file === undefined ? bytesPerParameter(variant) : 4;
  checkMemory(label, { ...size, weightBytes: entry.params_m * 1e6 * perParameter }, limitOf(options));
  const extras = { catalog: entry, preprocessOverrides: entry.preprocessing.overrides };
  if (entry.hub === undefined) {
    const folder = exportFolder(entry.id);
    let conversion: ConversionIdentity | undefined;
    if (entry.convert !== undefined) {
      conversion = await ensureConvertedModel(entry.id, entry.convert, folder, {
        client: options.client ?? createHubClient(options.hub ?? hubSettingsFromEnv()),
        checkpointDir: join(seglensCacheDir(), "checkpoints"),
        paramsM: entry.params_m,
        ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
        ...(options.onNote === undefined ? {} : { onNote: options.onNote }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        ...(options.onConvertProgress === undefined ? {} : { onConvertProgress: options.onConvertProgress }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    }
    const local = existsSync(folder) ? resolveLocalModel(folder, fileChoice(options)) : undefined;
    if (local === undefined) {
      throw new InputError(
        `model "${entry.id}" has no ready ONNX export on the Hub: make one with \`${entry.export?.command}\` ` +
          `(Python with torch and internet; see models/export/README.md), then run again`,
      );
    }
    const source = conversion?.source;
    const hub =
      source !== undefined && "repo" in source
        ? { hub: { repo: source.repo, revision: "main", commit: source.commit } }
        : {};
    return { ...local, id: arg, ...extras, ...hub, ...(conversion === undefined ? {} : { conversion }) };
  }
  const file =
    options.file ??
    (options.variant === undefined ? entry.hub.file : variantFile(entry.hub.file, options.variant));
  const resolved = await resolveHubModel(
    arg,
    entry.hub.repo,
    revision ?? entry.hub.revision,
    file,
    options,
    (bytes) => checkMemory(label, { ...size, weightBytes: bytes }, limitOf(options)),
  );
  return { ...resolved, ...extras };
}

async function resolveHubModel(
  arg: string,
  repo: string,
  revision: string | undefined,
  file: string | undefined,
  options: ResolveOptions,
  checkWeights: (bytes: number) => void,
): Promise<ResolvedModel> {
  const client = options.client ?? createHubClient(options.hub ?? hubSettingsFromEnv());
  const model = await fetchHubModel(client, {
    repo,
    ...(revision === undefined ? {} : { revision }),
    ...(file === undefined ? {} : { file }),
    ...(options.refresh === undefined ? {} : { refresh: options.refresh }),
    checkWeights,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const local = resolveLocalModel(model.folder, { file: model.file });
  if (local === undefined)
    throw new InputError(`the cached snapshot "${model.folder}" disappeared; run again`);
  return { ...local, id: arg, hub: { repo, revision: model.revision, commit: model.commit } };
}

/**
 * Refuses a checkpoint file for `model` unless it is a catalog model that seglens converts; `option`
 * names the option in the message (`--checkpoint` on the command line, `checkpoint` in code).
 */
export function checkCheckpointModel(model: string, catalog: Catalog, option = "--checkpoint"): void {
  const recipe = catalog.find(model)?.convert;
  if (recipe !== undefined && recipe.from !== "hub") return;
  if (recipe !== undefined) {
    throw new InputError(
      `${option} applies to models converted from a research checkpoint (a URL or a download link); "${model}" is converted from the Hub repo ${recipe.repo}, which seglens fetches itself`,
    );
  }
  throw new InputError(
    `${option} applies to catalog models that seglens converts from a checkpoint (\`seglens models\` lists them as convertible); "${model}" is not one`,
  );
}

/**
 * The file of `variant` beside `file` in transformers.js naming: `onnx/model.onnx` with `fp16` →
 * `onnx/model_fp16.onnx`, `onnx/vision_model.onnx` with `q8` → `onnx/vision_model_quantized.onnx`.
 */
export function variantFile(file: string, variant: string): string {
  const name = VARIANT_FILES[variant];
  if (name === undefined) {
    throw new InputError(
      `unknown --variant "${variant}"; expected one of ${Object.keys(VARIANT_FILES).join(", ")}`,
    );
  }
  const suffix = name.slice("model".length, -".onnx".length);
  const base = file.endsWith(".onnx") ? file.slice(0, -".onnx".length) : file;
  return posix.normalize(`${base}${suffix}.onnx`);
}

/** Where `models/export/export.py <id>` writes a catalog model's export: `<seglens cache>/models/<id>`. */
export function exportFolder(id: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(seglensCacheDir(env), "models", id);
}

function fileChoice(options: ResolveOptions): FileChoice {
  return {
    ...(options.file === undefined ? {} : { file: options.file }),
    ...(options.variant === undefined ? {} : { variant: options.variant }),
  };
}

function limitOf(options: ResolveOptions): number | undefined {
  return "memoryLimitBytes" in options ? options.memoryLimitBytes : memoryLimitBytes();
}
