import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors";
import type { RowSpan } from "../util/row-file";
import type { Rep } from "../vocabulary";
import type { FeatureSetInfo } from "./feature-cache";
import { readNpyHeader } from "./npy";
import type { PatchFile } from "./patch-store";
import type { RunMeta } from "./run-meta";
import { featureKey } from "./selection";

/** A `meta.json` of `seglens features`, with the shard it holds when written with `--shard`. */
export interface StoredMeta extends RunMeta {
  shard?: { index: number; count: number; images_total: number };
}

/** Folders of `seglens features` (one run, or the shards of one), read as one feature set. */
export interface StoredFeatures {
  /** The whole set's meta: the first folder's, with every folder's images in order and no `shard`. */
  meta: RunMeta;
  info: FeatureSetInfo;
  /** Per `<rep>_L<l>`: the patch rows of every image, read in place from the folders' .npy files. */
  sources: Map<string, PatchFile>;
}

// What every folder of one set must agree on, to be clustered together.
const TOP_LEVEL = [
  "model",
  "num_layers",
  "prefix_tokens",
  "grid",
  "patch_size",
  "hidden_size",
  "input_size",
  "layers",
  "reps",
] as const;
const SAME: [field: string, value: (meta: StoredMeta) => unknown][] = [
  ...TOP_LEVEL.map((field): [string, (meta: StoredMeta) => unknown] => [field, (meta) => meta[field]]),
  ["model_sha256", (meta) => meta.provenance.model_sha256],
  ["preprocessing", (meta) => meta.provenance.preprocessing],
];

/**
 * Opens `dirs` as one feature set without reading the arrays: shards are put in shard order and
 * must be complete; every folder must come from the same model file and preprocessing and hold the
 * same layers and representations. Bad folders are InputErrors naming the folder and the field.
 */
export function openStoredFeatures(dirs: readonly string[]): StoredFeatures {
  if (dirs.length === 0) throw new InputError("--features needs at least one folder");
  const metas = inShardOrder(dirs.map((dir) => ({ dir, meta: readMeta(dir) })));
  const first = metas[0] as { dir: string; meta: StoredMeta };
  for (const { dir, meta } of metas.slice(1)) {
    for (const [field, value] of SAME) {
      if (JSON.stringify(value(meta)) !== JSON.stringify(value(first.meta)))
        throw mismatch(dir, first.dir, field, value(meta), value(first.meta));
    }
  }
  const [gh, gw] = first.meta.grid;
  const patches = gh * gw;
  const prefix = first.meta.prefix_tokens;
  const hidden = first.meta.hidden_size;
  const sources = new Map<string, PatchFile>();
  for (const rep of first.meta.reps) {
    for (const layer of first.meta.layers) {
      if (layer === 0 && rep !== "tokens") continue;
      const key = featureKey(rep as Rep, layer);
      const spans: RowSpan[] = [];
      for (const { dir, meta } of metas) {
        const path = join(dir, `${key}.npy`);
        if (!existsSync(path)) throw new InputError(`"${dir}" has no ${key}.npy; its meta.json lists it`);
        const { dtype, dims, dataOffset } = readNpyHeader(path);
        const expected = [meta.images.length, prefix + patches, hidden];
        if (dtype !== "float32" || JSON.stringify(dims) !== JSON.stringify(expected))
          throw new InputError(
            `"${path}" is ${dtype} [${dims.join(", ")}]; its meta.json says float32 [${expected.join(", ")}]`,
          );
        for (let i = 0; i < meta.images.length; i++)
          spans.push({
            path,
            offset: dataOffset + (i * (prefix + patches) + prefix) * hidden * 4,
            rows: patches,
          });
      }
      const rows = spans.length * patches;
      sources.set(key, { file: { dtype: "float32", width: hidden, rows, spans }, dims: [rows, hidden] });
    }
  }
  const images = metas.flatMap(({ meta }) => meta.images);
  const { shard: _shard, ...base } = first.meta;
  const meta: RunMeta = {
    ...base,
    images,
    provenance: {
      ...base.provenance,
      image_sha256: metas.flatMap(({ meta }) => meta.provenance.image_sha256),
    },
  };
  return {
    meta,
    info: { numImages: images.length, grid: [gh, gw], prefixTokens: prefix, hiddenSize: hidden },
    sources,
  };
}

function readMeta(dir: string): StoredMeta {
  const file = join(dir, "meta.json");
  if (!existsSync(file))
    throw new InputError(`"${dir}" has no meta.json: not a finished \`seglens features\` folder`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as StoredMeta;
  } catch (cause) {
    throw new InputError(`"${file}" is not valid JSON`, { cause });
  }
}

/** Shards sorted by index, checked complete; folders without `shard` stay in the order given. */
function inShardOrder(folders: { dir: string; meta: StoredMeta }[]): { dir: string; meta: StoredMeta }[] {
  const sharded = folders.filter((f) => f.meta.shard !== undefined);
  if (sharded.length === 0) return folders;
  if (sharded.length !== folders.length) {
    const plain = folders.find((f) => f.meta.shard === undefined) as { dir: string };
    throw new InputError(`"${plain.dir}" is not a shard, but the other --features folders are`);
  }
  const count = sharded[0]?.meta.shard?.count as number;
  const sorted = [...sharded].sort((a, b) => (a.meta.shard?.index ?? 0) - (b.meta.shard?.index ?? 0));
  const indices = sorted.map((f) => f.meta.shard?.index);
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !indices.includes(i));
  if (missing.length > 0 || sorted.length !== count || sorted.some((f) => f.meta.shard?.count !== count))
    throw new InputError(
      `--features has shards ${indices.join(", ")} of ${count}: ${missing.length > 0 ? `shard ${missing.join(", ")} missing` : "each shard must be given once, all of one split"}`,
    );
  return sorted;
}

function mismatch(
  dir: string,
  firstDir: string,
  field: string,
  value: unknown,
  expected: unknown,
): InputError {
  return new InputError(
    `"${dir}" does not belong with "${firstDir}": ${field} is ${JSON.stringify(value)}, not ${JSON.stringify(expected)}`,
  );
}
