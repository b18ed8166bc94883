import { InputError } from "../errors";

/** Shard `index` of `count`, numbered from 0 (as `SLURM_ARRAY_TASK_ID` with `--array=0-(count-1)`). */
export interface Shard {
  index: number;
  count: number;
}

/** A shard as `meta.json` records it: which one, and the length of the whole image list. */
export interface ShardInfo extends Shard {
  imagesTotal: number;
}

// Far above any cluster's array size limit; keeps i/N readable in messages.
const MAX_SHARDS = 1_000_000;

const ACCEPTED =
  'expected i/N with 0 ≤ i < N (shard i of N, numbered from 0 like SLURM_ARRAY_TASK_ID with --array=0-(N-1)), or "auto"';

/**
 * Reads `--shard`: `i/N`, or `auto` for the SLURM array task that runs it (`SLURM_ARRAY_TASK_ID`
 * minus `SLURM_ARRAY_TASK_MIN` of `SLURM_ARRAY_TASK_COUNT`, so `--array=0-7` and `--array=1-8`
 * both give shards 0..7 of 8).
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  const value = text.trim();
  if (value === "auto") return shardFromSlurm(env);
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const shard = match === null ? undefined : { index: Number(match[1]), count: Number(match[2]) };
  if (shard === undefined || !isValid(shard)) throw new InputError(`invalid --shard "${text}": ${ACCEPTED}`);
  return shard;
}

function shardFromSlurm(env: NodeJS.ProcessEnv): Shard {
  const { SLURM_ARRAY_TASK_ID: id, SLURM_ARRAY_TASK_COUNT: count, SLURM_ARRAY_TASK_MIN: min = "0" } = env;
  if (id === undefined || count === undefined) {
    throw new InputError(
      '--shard "auto" reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, which are not set (they are in a SLURM array job, sbatch --array): give i/N instead',
    );
  }
  const decimal = [id, count, min].every((v) => /^\d+$/.test(v));
  const shard = { index: Number(id) - Number(min), count: Number(count) };
  if (!decimal || !isValid(shard)) {
    throw new InputError(
      `--shard "auto" read SLURM_ARRAY_TASK_ID="${id}", SLURM_ARRAY_TASK_MIN="${min}", SLURM_ARRAY_TASK_COUNT="${count}", which is not shard i of N with 0 ≤ i < N: run the array as --array=0-(N-1), without a step, or give i/N`,
    );
  }
  return shard;
}

function isValid(shard: Shard): boolean {
  const { index, count } = shard;
  return (
    Number.isSafeInteger(index) &&
    Number.isSafeInteger(count) &&
    index >= 0 &&
    index < count &&
    count <= MAX_SHARDS
  );
}

/**
 * The images of shard `index` of `count`, in a stable split: contiguous runs of the list in its
 * order, shard i holding images floor(i·n/N) up to floor((i+1)·n/N) (excluded) of n, so shards
 * 0..N-1 concatenated give the whole list in order, and their sizes differ by at most one.
 */
export function shardRange(shard: Shard, total: number): [first: number, end: number] {
  const at = (i: number) => Math.floor((i * total) / shard.count);
  return [at(shard.index), at(shard.index + 1)];
}

/**
 * `images` cut to `shard`, checked (`shard` may come from code). A shard with no images is refused:
 * it could not say its arrays' shapes, which only the model's output tells.
 */
export function shardImages(images: readonly string[], shard: Shard): { images: string[]; info: ShardInfo } {
  if (!isValid(shard)) {
    throw new InputError(
      `invalid shard ${JSON.stringify(shard)}: expected { index, count }, integers with 0 ≤ index < count (shard index of count, numbered from 0)`,
    );
  }
  const [first, end] = shardRange(shard, images.length);
  if (first === end) {
    throw new InputError(
      `--shard ${shard.index}/${shard.count} has no images: ${images.length} images in ${shard.count} shards leave some empty; use at most ${images.length} shards`,
    );
  }
  return { images: images.slice(first, end), info: { ...shard, imagesTotal: images.length } };
}
