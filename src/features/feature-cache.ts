import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync } from "node:fs";
import { basename, join } from "node:path";
import { DEFAULT_CACHE_BUDGET_BYTES } from "../models/memory-estimate";
import { parseByteSize } from "../util/byte-size";
import { seglensCacheDir } from "../util/cache-dir";
import { sha256, sha256Files } from "../util/sha256";
import { removeAbandonedTemps } from "../util/temp-files";
import { writeFileAtomic } from "../util/write-file-atomic";
import { createFeatureJournal, type FeatureJournal } from "./feature-journal";
import type { PreparedRequest } from "./feature-request";
import {
  createSpillFolder,
  evictFeatureSets,
  filePatchWriter,
  memoryPatchWriter,
  type PatchFile,
  type PatchMatrix,
  type PatchSource,
  type PatchWriter,
  patchFileOf,
  type StoredDtype,
} from "./patch-store";

export type { PatchFile, PatchMatrix, PatchSource } from "./patch-store";

/** Shapes shared by every matrix of one feature set. */
export interface FeatureSetInfo {
  numImages: number;
  grid: [height: number, width: number];
  prefixTokens: number;
  hiddenSize: number;
}

/** What a cache holds in memory. */
export interface CacheStats {
  entries: number;
  bytes: number;
  budgetBytes: number;
  hits: number;
  misses: number;
}

/**
 * Patch features computed once per (model file, image set, preprocessing) and reused for every K,
 * representation and layer. Without a folder, matrices stay in memory, evicted least recently used
 * past the byte budget, and a set larger than the budget goes to a spill folder on disk instead.
 * With a folder, every matrix is a `.npy` file there, read a sample or a chunk at a time, so a
 * later process starts warm and memory does not grow with the image count; whole sets are evicted
 * least recently used past the disk budget.
 */
export interface FeatureCache {
  get(setKey: string, key: string): PatchSource | undefined;
  put(setKey: string, key: string, matrix: PatchMatrix): void;
  /**
   * Where the rows of one (rep, layer) go while they are extracted. `setBytes`, the float32 size of
   * everything being extracted for the set, decides memory or disk for a cache without a folder:
   * memory only within the cache's budget and `memoryBudgetBytes` (the run's memory plan).
   */
  store(
    setKey: string,
    key: string,
    dims: [rows: number, hidden: number],
    setBytes: number,
    memoryBudgetBytes?: number,
  ): PatchWriter;
  /** The shapes of a feature set seen before; marks the set as just used. */
  info(setKey: string): FeatureSetInfo | undefined;
  /** Records a set's shapes once its matrices are stored; then evicts other sets past the disk budget. */
  setInfo(setKey: string, info: FeatureSetInfo): void;
  /**
   * The on-disk journal of single images for an extraction under `keys` (see {@link featureKeys}),
   * which keeps finished batches when a run fails or is interrupted; undefined without a folder.
   */
  journal?(keys: FeatureKeys): FeatureJournal | undefined;
  stats(): CacheStats;
  clear(): void;
}

/** Options of {@link createFeatureCache}. */
export interface FeatureCacheOptions {
  /** Memory budget; default {@link DEFAULT_CACHE_BUDGET_BYTES}. */
  budgetBytes?: number;
  /** Folder for the on-disk cache; none by default. */
  dir?: string;
  /** Disk budget of the folder's feature sets; default {@link DEFAULT_DISK_BUDGET_BYTES}. */
  diskBudgetBytes?: number;
  /**
   * How files store values. "float16" halves the disk and the reads, at a relative error of at most
   * 2⁻¹¹ per value (the labels of patches near a cluster boundary may change); default "float32".
   */
  dtype?: StoredDtype;
  /** Where a cache without a folder spills a set over its memory budget; default `$SEGLENS_CACHE/features`. */
  spillParent?: string;
}

/** Default disk budget of the feature cache: the features of ~1,400 images of a ViT-S/16 (every layer and representation). */
export const DEFAULT_DISK_BUDGET_BYTES = 20 * 1024 ** 3;

/**
 * The disk budget set by `SEGLENS_FEATURE_CACHE_LIMIT` (a size such as 50G), else
 * {@link DEFAULT_DISK_BUDGET_BYTES}.
 */
export function diskBudgetFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.SEGLENS_FEATURE_CACHE_LIMIT?.trim();
  return value ? parseByteSize(value, "SEGLENS_FEATURE_CACHE_LIMIT") : DEFAULT_DISK_BUDGET_BYTES;
}

/** Creates an empty cache. */
export function createFeatureCache(options: FeatureCacheOptions = {}): FeatureCache {
  const budgetBytes = options.budgetBytes ?? DEFAULT_CACHE_BUDGET_BYTES;
  const dtype = options.dtype ?? "float32";
  const entries = new Map<string, PatchMatrix>(); // insertion order = recency order
  const spilled = new Map<string, PatchFile>();
  const infos = new Map<string, FeatureSetInfo>();
  let spillDir: string | undefined;
  const cleaned = new Set<string>();
  let bytes = 0;
  let hits = 0;
  let misses = 0;

  const remember = (id: string, matrix: PatchMatrix): void => {
    const old = entries.get(id);
    if (old !== undefined) bytes -= old.data.byteLength;
    entries.delete(id);
    entries.set(id, matrix);
    bytes += matrix.data.byteLength;
    for (const [oldest, evicted] of entries) {
      if (bytes <= budgetBytes || oldest === id) break;
      entries.delete(oldest);
      bytes -= evicted.data.byteLength;
    }
  };
  // float16 sets live in folders of their own: a set's values never mix precisions.
  const setDir = (setKey: string): string | undefined =>
    options.dir === undefined ? undefined : join(options.dir, dtype === "float16" ? `${setKey}-f16` : setKey);
  const fileOf = (setKey: string, key: string): string | undefined => {
    const dir = setDir(setKey);
    return dir === undefined ? undefined : join(dir, `${key}.npy`);
  };

  return {
    get(setKey, key) {
      const id = `${setKey}/${key}`;
      const held = entries.get(id);
      if (held !== undefined) {
        hits++;
        remember(id, held);
        return held;
      }
      const file = fileOf(setKey, key);
      const found = file === undefined ? spilled.get(id) : patchFileOf(file);
      if (found !== undefined && existsSync(found.file.spans[0]?.path as string)) {
        hits++;
        return found;
      }
      if (file !== undefined) rmSync(file, { force: true }); // damaged: computed again
      misses++;
      return undefined;
    },
    put(setKey, key, matrix) {
      remember(`${setKey}/${key}`, matrix);
      const file = fileOf(setKey, key);
      if (file === undefined || existsSync(file)) return;
      mkdirSync(setDir(setKey) as string, { recursive: true });
      const writer = filePatchWriter(file, matrix.dims, dtype);
      writer.write(0, matrix.data);
      writer.finish();
    },
    store(setKey, key, dims, setBytes, memoryBudgetBytes = Number.POSITIVE_INFINITY) {
      const id = `${setKey}/${key}`;
      const file = fileOf(setKey, key);
      if (file !== undefined) {
        const dir = setDir(setKey) as string;
        mkdirSync(dir, { recursive: true });
        // A killed run's half-written files (named with its process id) would otherwise stay forever.
        if (!cleaned.has(dir)) removeAbandonedTemps(dir);
        cleaned.add(dir);
        return filePatchWriter(file, dims, dtype);
      }
      if (setBytes <= Math.min(budgetBytes, memoryBudgetBytes))
        return memoryPatchWriter(dims, (matrix) => remember(id, matrix));
      spillDir ??= createSpillFolder(options.spillParent ?? join(seglensCacheDir(), "features"));
      const writer = filePatchWriter(join(spillDir, `${setKey}-${key}.npy`), dims, dtype);
      return {
        ...writer,
        finish() {
          const source = writer.finish() as PatchFile;
          spilled.set(id, source);
          return source;
        },
      };
    },
    info(setKey) {
      const held = infos.get(setKey);
      const dir = setDir(setKey);
      if (dir === undefined) return held;
      const file = join(dir, "set.json");
      if (!existsSync(file)) return undefined;
      touch(file); // the disk budget evicts least recently used sets
      if (held !== undefined) return held;
      let info: FeatureSetInfo;
      try {
        info = JSON.parse(readFileSync(file, "utf8")) as FeatureSetInfo; // written by setInfo
      } catch {
        return undefined; // damaged (written by an older version without a rename): extracted again
      }
      infos.set(setKey, info);
      return info;
    },
    setInfo(setKey, info) {
      infos.set(setKey, info);
      const dir = setDir(setKey);
      if (dir === undefined || options.dir === undefined) return;
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(join(dir, "set.json"), JSON.stringify(info));
      const evicted = evictFeatureSets(
        options.dir,
        options.diskBudgetBytes ?? diskBudgetFromEnv(),
        basename(dir),
      );
      for (const name of evicted) infos.delete(name.replace(/-f16$/, ""));
    },
    journal(keys) {
      if (options.dir === undefined) return undefined;
      return createFeatureJournal(join(options.dir, "partial", keys.modelKey), keys.imageIds);
    },
    stats: () => ({ entries: entries.size, bytes, budgetBytes, hits, misses }),
    clear() {
      entries.clear();
      infos.clear();
      spilled.clear();
      if (spillDir !== undefined) rmSync(spillDir, { recursive: true, force: true });
      spillDir = undefined;
      bytes = 0;
    },
  };
}

function touch(file: string): void {
  try {
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // read-only cache: eviction order just ignores this use
  }
}

/** The cache keys of one run. */
export interface FeatureKeys {
  /** The feature set: model file, image contents in order, preprocessing. */
  setKey: string;
  /** Model file and preprocessing: what a single image's features depend on besides the image. */
  modelKey: string;
  /** sha256 of every image, in run order. */
  imageIds: string[];
}

/** The cache keys of `request` (reads every image to hash it). */
export async function featureKeys(request: PreparedRequest): Promise<FeatureKeys> {
  const images = await sha256Files(request.images);
  const model = request.tapped.sha256;
  return {
    setKey: sha256(JSON.stringify({ model, images, preprocess: request.preprocess })).slice(0, 32),
    modelKey: sha256(JSON.stringify({ model, preprocess: request.preprocess })).slice(0, 32),
    imageIds: images,
  };
}
