import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors";
import { removeAbandonedTemps } from "../util/temp-files";
import type { FeatureBatch } from "./feature-batch";
import { type NpyArray, readNpy, writeNpy } from "./npy";

/**
 * The feature arrays of single images, kept on disk as an extraction goes, so that a run that
 * fails or is interrupted resumes where it stopped instead of starting over. Keyed by image
 * contents, so an image keeps its entries when the others change (a corrupt file removed from the
 * set, new images added). Layout: `<dir>/<rep>_L<l>/<image sha256>.npy`, float32 `[tokens, hidden]`
 * with the prefix tokens, exactly as the model returned them; every file is written under a
 * temporary name and renamed, so an entry is never partial.
 */
export interface FeatureJournal {
  /** Whether image `index` (in the run's order) has an entry for every key in `keys`. */
  has(index: number, keys: readonly string[]): boolean;
  /** Images `first .. first + count - 1` of `key`, stacked: float32 `[count, tokens, hidden]`. */
  read(key: string, first: number, count: number): { data: Float32Array; dims: [number, number, number] };
  /** Keeps every image of a batch just computed. */
  write(batch: FeatureBatch): void;
  /** Forgets this run's images, once its output is complete and the journal is no longer needed. */
  clear(): void;
}

/** A journal in `dir` for a run over the images whose sha256 are `imageIds` (in run order). */
export function createFeatureJournal(dir: string, imageIds: readonly string[]): FeatureJournal {
  const fileOf = (key: string, index: number) => join(dir, key, `${imageIds[index] as string}.npy`);
  return {
    has: (index, keys) => keys.every((key) => existsSync(fileOf(key, index))),
    read(key, first, count) {
      let data: Float32Array | undefined;
      let shape: [number, number] | undefined;
      for (let i = 0; i < count; i++) {
        const file = fileOf(key, first + i);
        const array = readEntry(file);
        const [tokens, hidden] = array.dims as [number, number];
        shape ??= [tokens, hidden];
        if (
          array.dtype !== "float32" ||
          array.dims.length !== 2 ||
          tokens !== shape[0] ||
          hidden !== shape[1]
        ) {
          rmSync(file, { force: true });
          throw new InputError(
            `feature cache entry "${file}" did not match the others and was removed; run again`,
          );
        }
        data ??= new Float32Array(count * tokens * hidden);
        data.set(array.data as Float32Array, i * tokens * hidden);
      }
      const [tokens, hidden] = shape ?? [0, 0];
      return { data: data ?? new Float32Array(0), dims: [count, tokens, hidden] };
    },
    write(batch) {
      const [count, tokens, hidden] = batch.dims;
      const size = tokens * hidden;
      for (let i = 0; i < count; i++) {
        const file = fileOf(batch.key, batch.firstImage + i);
        if (i === 0) mkdirSync(join(dir, batch.key), { recursive: true });
        const data = batch.data.subarray(i * size, (i + 1) * size);
        writeNpy(file, { dtype: "float32", dims: [tokens, hidden], data });
      }
    },
    clear() {
      if (!existsSync(dir)) return;
      for (const key of readdirSync(dir)) {
        for (let i = 0; i < imageIds.length; i++) rmSync(fileOf(key, i), { force: true });
        removeAbandonedTemps(join(dir, key)); // a killed run's half-written entries
        removeIfEmpty(join(dir, key));
      }
      removeIfEmpty(dir);
    },
  };
}

/**
 * Reads an entry; one that cannot be read (damaged on disk, or removed by another run over the same
 * images that has just completed) is removed, so the next run recomputes it.
 */
function readEntry(file: string): NpyArray {
  try {
    return readNpy(file);
  } catch (cause) {
    rmSync(file, { force: true });
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw new InputError(
      `feature cache entry "${file}" could not be read (${reason}) and was removed; run again`,
      {
        cause,
      },
    );
  }
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (another run's images) or already gone
  }
}
