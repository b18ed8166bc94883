import type { FeatureBatch, FeatureLayout, FeatureSink } from "./extract-features";
import { createNpyWriter, type NpyWriter } from "./npy";

/** A sink that streams every feature array into its own `.npy` file, preallocated at full size. */
export interface NpyFeatureSink {
  sink: FeatureSink;
  /** Files written so far, by key. */
  readonly files: ReadonlyMap<string, string>;
  close(): void;
}

/**
 * Creates the sink; the file of key `<rep>_L<l>` is `pathOf(key)` (a temporary path of an output
 * transaction: the file is complete only when the extraction is), made when its first batch arrives.
 */
export function createNpyFeatureSink(pathOf: (key: string) => string): NpyFeatureSink {
  const writers = new Map<string, NpyWriter>();
  const files = new Map<string, string>();
  const sink: FeatureSink = (batch: FeatureBatch, layout: FeatureLayout) => {
    let writer = writers.get(batch.key);
    if (writer === undefined) {
      writer = createNpyWriter(pathOf(batch.key), "float32", [
        layout.numImages,
        layout.tokens,
        layout.hiddenSize,
      ]);
      writers.set(batch.key, writer);
      files.set(batch.key, writer.path);
    }
    writer.write(batch.firstImage * layout.tokens * layout.hiddenSize, batch.data);
  };
  return {
    sink,
    files,
    close() {
      for (const writer of writers.values()) writer.close();
    },
  };
}
