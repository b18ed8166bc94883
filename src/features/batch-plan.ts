import type { RawTensor } from "../runtime/onnx-runtime";
import type { PixelSource } from "./pixel-source";

/** A run of consecutive images, computed together or read together from the journal. */
export interface PlannedBatch {
  first: number;
  count: number;
  fromJournal: boolean;
}

/** Consecutive images split into batches of at most `batchSize`, each all journaled or all to compute. */
export function planBatches(
  total: number,
  batchSize: number,
  journaled: (index: number) => boolean,
): PlannedBatch[] {
  const plan: PlannedBatch[] = [];
  for (let i = 0; i < total; i++) {
    const fromJournal = journaled(i);
    const last = plan.at(-1);
    if (last !== undefined && last.fromJournal === fromJournal && last.count < batchSize) last.count++;
    else plan.push({ first: i, count: 1, fromJournal });
  }
  return plan;
}

/**
 * Loads the pixels of the batches to compute, each one while the one before it runs; the first at
 * once, and more ahead on request (`readAhead`).
 */
export function createPrefetcher(
  plan: readonly PlannedBatch[],
  inputs: PixelSource,
): {
  take(index: number): Promise<RawTensor>;
  readAhead(until: Promise<unknown>, images: number): Promise<void>;
} {
  const loads = new Map<number, Promise<RawTensor>>();
  const taken = new Set<number>();
  const start = (from: number): number => {
    const index = plan.findIndex((b, i) => i >= from && !b.fromJournal);
    const batch = plan[index];
    if (batch === undefined || loads.has(index) || taken.has(index)) return index;
    const load = inputs.load(batch.first, batch.count);
    load.catch(() => {}); // Surfaced when awaited; avoids an unhandled rejection meanwhile.
    loads.set(index, load);
    return index;
  };
  start(0);
  return {
    take(index) {
      start(index);
      const load = loads.get(index) as Promise<RawTensor>;
      loads.delete(index);
      taken.add(index);
      start(index + 1);
      return load;
    },
    /** Loads batch after batch, one at a time, until `until` settles or `images` images are loaded. */
    async readAhead(until, images) {
      let settled = false;
      until.then(
        () => (settled = true),
        () => (settled = true),
      );
      let loaded = 0;
      for (let index = start(0); !settled && index >= 0; index = start(index + 1)) {
        loaded += (plan[index] as PlannedBatch).count;
        await loads.get(index)?.catch(() => {});
        if (loaded >= images) return;
      }
    },
  };
}
