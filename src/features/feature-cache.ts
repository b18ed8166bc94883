import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { sha256, sha256File } from "../util/sha256";
import { writeFileAtomic } from "../util/write-file-atomic";
import { createFeatureJournal, type FeatureJournal } from "./feature-journal";
import type { PreparedRequest } from "./feature-request";
import { type NpyArray, readNpy, writeNpy } from "./npy";

/** Patch features of one (rep, layer): float32 `[images · gh · gw, hidden]`, prefix tokens dropped. */
export interface PatchMatrix {
  data: Float32Array;
  dims: [rows: number, hidden: number];
}

/** Shapes shared by every matrix of one feature set. */
export interface FeatureSetInfo {
  numImages: number;
  grid: [height: number, width: number];
  prefixTokens: number;
  hiddenSize: number;
}

/** What a cache holds. */
export interface CacheStats {
  entries: number;
  bytes: number;
  budgetBytes: number;
  hits: number;
  misses: number;
}

/**
 * Patch features computed once per (model file, image set, preprocessing) and reused for every K,
 * representation and layer. Memory entries are evicted least recently used past the
 * byte budget; with a folder, entries also persist as .npy files (keyed the same way), so a later
 * process starts warm.
 */
export interface FeatureCache {
  get(setKey: string, key: string): PatchMatrix | undefined;
  put(setKey: string, key: string, matrix: PatchMatrix): void;
  /** The shapes of a feature set seen before. */
  info(setKey: string): FeatureSetInfo | undefined;
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
  /** Memory budget; default 2 GiB. */
  budgetBytes?: number;
  /** Folder for the on-disk cache; none by default. */
  dir?: string;
}

/** Creates an empty cache. */
export function createFeatureCache(options: FeatureCacheOptions = {}): FeatureCache {
  const budgetBytes = options.budgetBytes ?? 2 * 1024 ** 3;
  const entries = new Map<string, PatchMatrix>(); // insertion order = recency order
  const infos = new Map<string, FeatureSetInfo>();
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
  const fileOf = (setKey: string, key: string): string | undefined =>
    options.dir === undefined ? undefined : join(options.dir, setKey, `${key}.npy`);

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
      const array = file === undefined ? undefined : readEntry(file);
      if (array !== undefined) {
        const matrix: PatchMatrix = {
          data: array.data as Float32Array,
          dims: array.dims as [number, number],
        };
        hits++;
        remember(id, matrix);
        return matrix;
      }
      misses++;
      return undefined;
    },
    put(setKey, key, matrix) {
      remember(`${setKey}/${key}`, matrix);
      const file = fileOf(setKey, key);
      if (file === undefined || existsSync(file)) return;
      mkdirSync(join(options.dir as string, setKey), { recursive: true });
      writeNpy(file, { dtype: "float32", dims: matrix.dims, data: matrix.data });
    },
    info(setKey) {
      const held = infos.get(setKey);
      if (held !== undefined || options.dir === undefined) return held;
      const file = join(options.dir, setKey, "set.json");
      if (!existsSync(file)) return undefined;
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
      if (options.dir === undefined) return;
      mkdirSync(join(options.dir, setKey), { recursive: true });
      writeFileAtomic(join(options.dir, setKey, "set.json"), JSON.stringify(info));
    },
    journal(keys) {
      if (options.dir === undefined) return undefined;
      return createFeatureJournal(join(options.dir, "partial", keys.modelKey), keys.imageIds);
    },
    stats: () => ({ entries: entries.size, bytes, budgetBytes, hits, misses }),
    clear() {
      entries.clear();
      infos.clear();
      bytes = 0;
    },
  };
}

/** Reads a cached matrix; a damaged one (written by an older version without a rename) is removed and missed. */
function readEntry(file: string): NpyArray | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return readNpy(file);
  } catch {
    rmSync(file, { force: true });
    return undefined;
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
  const images = await Promise.all(request.images.map((path) => sha256File(path)));
  const model = request.tapped.sha256;
  return {
    setKey: sha256(JSON.stringify({ model, images, preprocess: request.preprocess })).slice(0, 32),
    modelKey: sha256(JSON.stringify({ model, preprocess: request.preprocess })).slice(0, 32),
    imageIds: images,
  };
}

/** Drops the prefix tokens of a `[images, tokens, hidden]` array: `[images · patches, hidden]`. */
export function patchMatrix(
  data: Float32Array,
  dims: readonly [images: number, tokens: number, hidden: number],
  prefixTokens: number,
): PatchMatrix {
  const [n, tokens, hidden] = dims;
  const patches = tokens - prefixTokens;
  const out = new Float32Array(n * patches * hidden);
  for (let img = 0; img < n; img++) {
    const from = (img * tokens + prefixTokens) * hidden;
    out.set(data.subarray(from, from + patches * hidden), img * patches * hidden);
  }
  return { data: out, dims: [n * patches, hidden] };
}
