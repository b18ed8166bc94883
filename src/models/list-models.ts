import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { CONVERSION_MARKER } from "../convert/ensure-converted-model";
import { createHubRepoCache } from "../hub/hub-cache";
import { type HubSettings, hubSettingsFromEnv } from "../hub/hub-settings";
import { type Catalog, type CatalogEntry, loadCatalog } from "./catalog";
import { exportFolder } from "./resolve-model";

/** One catalog model and whether it is on this machine. */
export interface ModelListing {
  entry: CatalogEntry;
  /**
   * Where its ONNX comes from: a ready export on the Hub (`hub`), seglens' converter on first use
   * (`convert`; `convert --checkpoint` when the checkpoint must be passed), or `models/export/export.py`.
   */
  onnx: "hub" | "convert" | "convert --checkpoint" | "export";
  /** Whether `--model <id>` runs without downloading, converting or exporting anything. */
  cached: boolean;
  /** The file that would be used: in the Hub cache, or in seglens' model folder. */
  path: string;
}

/**
 * Whether `--model <id>` runs as it is, in words: `ready (Hub ONNX)` (a ready export on the Hub,
 * downloaded on first use), `convertible (converted on first use)`, `convertible (needs
 * --checkpoint PATH)` (the checkpoint is only shared by a download link), `export script needed`
 * (`models/export/export.py`); with `, cached` (or `converted, cached`, `exported, cached`) once it
 * is on this machine.
 *
 * @example
 * modelStatus({ entry, onnx: "convert", cached: false, path }); // "convertible (converted on first use)"
 */
export function modelStatus(listing: Pick<ModelListing, "onnx" | "cached">): string {
  switch (listing.onnx) {
    case "hub":
      return listing.cached ? "ready (Hub ONNX), cached" : "ready (Hub ONNX)";
    case "convert":
      return listing.cached ? "converted, cached" : "convertible (converted on first use)";
    case "convert --checkpoint":
      return listing.cached ? "converted, cached" : "convertible (needs --checkpoint PATH)";
    case "export":
      return listing.cached ? "exported, cached" : "export script needed";
    default: {
      const unknown: never = listing.onnx;
      return String(unknown);
    }
  }
}

/** Options of {@link listModels}. */
export interface ListModelsOptions {
  /** Default `loadCatalog()`. */
  catalog?: Catalog;
  /** Where the Hub cache is; default `hubSettingsFromEnv()`. */
  hub?: HubSettings;
}

/**
 * The catalog's models with their cache state, read from disk only (no network): a Hub model is
 * cached when its revision's ref and ONNX file are in the Hub cache (by seglens or a Python tool),
 * a converted one when seglens has converted it, an export when `export.py` has written it.
 *
 * @example
 * listModels().filter((m) => m.cached).map((m) => m.entry.id); // ["dinov2-small", …]
 */
export function listModels(options: ListModelsOptions = {}): ModelListing[] {
  const catalog = options.catalog ?? loadCatalog();
  const settings = options.hub ?? hubSettingsFromEnv();
  return catalog.entries.map((entry) => {
    if (entry.hub === undefined) {
      const folder = exportFolder(entry.id);
      const path = join(folder, "onnx", "model.onnx");
      if (entry.convert === undefined) return { entry, onnx: "export", cached: existsSync(path), path };
      const onnx = entry.convert.from === "file" ? "convert --checkpoint" : "convert";
      return { entry, onnx, cached: existsSync(path) && existsSync(join(folder, CONVERSION_MARKER)), path };
    }
    const cache = createHubRepoCache(settings.cacheDir, entry.hub.repo);
    const commit = cache.commitFor(entry.hub.revision);
    const path = cache.snapshotPath(commit ?? entry.hub.revision, entry.hub.file);
    return {
      entry,
      onnx: "hub",
      cached: commit !== undefined && cache.hasFile(commit, entry.hub.file),
      path,
    };
  });
}

/** A model that ships with seglens: tiny, random weights, for tests and offline demos. */
export interface BundledModel {
  /** Its folder name, e.g. `dinov2-tf4`. */
  id: string;
  /** Absolute path of its Hub-layout folder: what `--model` takes. */
  path: string;
  /** transformers' `model_type` from its config.json, e.g. `dinov2`. */
  modelType: string;
  layers: number;
  patchSize: number;
  /** Input resolution in pixels (square). */
  inputSize: number;
  hiddenSize: number;
}

// The package root, from src/models or dist/models.
const PACKAGE_ROOT = resolve(__dirname, "..", "..");

/**
 * The bundled models: the folders under `models/fixtures/` that the package ships (its
 * package.json `files`), read from their config.json; no network, nothing downloaded.
 *
 * @example
 * listBundledModels().map((m) => m.id); // ["dinov2-tf4"]
 */
export function listBundledModels(root = PACKAGE_ROOT): BundledModel[] {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { files?: unknown };
  const files = Array.isArray(manifest.files) ? manifest.files.filter((f) => typeof f === "string") : [];
  return files
    .filter((f) => /^models\/fixtures\/[^/]+\/?$/.test(f) && existsSync(join(root, f, "config.json")))
    .map((folder) => {
      const path = join(root, folder);
      const config = JSON.parse(readFileSync(join(path, "config.json"), "utf8")) as Record<string, unknown>;
      const number = (key: string) => (typeof config[key] === "number" ? (config[key] as number) : 0);
      return {
        id: basename(path),
        path,
        modelType: typeof config.model_type === "string" ? config.model_type : "unknown",
        layers: number("num_hidden_layers"),
        patchSize: number("patch_size"),
        inputSize: number("image_size"),
        hiddenSize: number("hidden_size"),
      };
    });
}
