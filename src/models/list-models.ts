import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Catalog, type CatalogEntry, loadCatalog } from "./catalog";
import { createHubRepoCache } from "./hub-cache";
import { type HubSettings, hubSettingsFromEnv } from "./hub-settings";
import { exportFolder } from "./resolve-model";

/** One catalog model and whether it is on this machine. */
export interface ModelListing {
  entry: CatalogEntry;
  /** Where its ONNX comes from: a ready export on the Hub, or `models/export/export.py`. */
  onnx: "hub" | "export";
  /** Whether `--model <id>` runs without downloading or exporting anything. */
  cached: boolean;
  /** The file that would be used: in the Hub cache, or in seglens' export folder. */
  path: string;
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
 * an export when `export.py` has written it.
 *
 * @example
 * listModels().filter((m) => m.cached).map((m) => m.entry.id); // ["dinov2-small", …]
 */
export function listModels(options: ListModelsOptions = {}): ModelListing[] {
  const catalog = options.catalog ?? loadCatalog();
  const settings = options.hub ?? hubSettingsFromEnv();
  return catalog.entries.map((entry) => {
    if (entry.hub === undefined) {
      const path = join(exportFolder(entry.id), "onnx", "model.onnx");
      return { entry, onnx: "export", cached: existsSync(path), path };
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
