import { InputError } from "../errors";

/**
 * The block of an `otherDepth`-block model at the same relative depth as block `layer` of a
 * `depth`-block model: round(layer · otherDepth / depth), at least 1 (layer 0, the embeddings,
 * stays 0). So block 6 of ViT-S (12 blocks) is block 12 of ViT-L (24), and block 1 of a 24-block
 * model is block 1 of a 12-block one.
 *
 * @example
 * matchingBlock(9, 12, 24); // 18
 */
export function matchingBlock(layer: number, depth: number, otherDepth: number): number {
  if (layer === 0) return 0;
  return Math.min(otherDepth, Math.max(1, Math.round((layer * otherDepth) / depth)));
}

/**
 * The blocks of a `depth`-block model at the given fractions of its depth (`--depth 0.25,0.5,1`):
 * round(f · depth), at least block 1 for f > 0; f = 0 is layer 0, the embeddings. Sorted, without
 * repeats, so a shallow model shown at close fractions has each block once.
 *
 * @example
 * blocksAtDepths([0.25, 0.5, 1], 12); // [3, 6, 12]
 */
export function blocksAtDepths(fractions: readonly number[], depth: number): number[] {
  const blocks = fractions.map((f) => (f === 0 ? 0 : Math.min(depth, Math.max(1, Math.round(f * depth)))));
  return [...new Set(blocks)].sort((a, b) => a - b);
}

/** Parses a `--depth` list of fractions of a model's depth, each in 0..1 (e.g. `0.25,0.5,0.75,1`). */
export function parseDepths(spec: string): number[] {
  const parts = spec.split(",").map((part) => part.trim());
  return parts.map((part) => {
    const value = /^(\d+(\.\d*)?|\.\d+)$/.test(part) ? Number(part) : Number.NaN;
    if (!(value >= 0 && value <= 1)) {
      throw new InputError(
        `invalid --depth entry "${part}"; expected fractions of the model's depth from 0 to 1 (e.g. 0.25,0.5,0.75,1)`,
      );
    }
    return value;
  });
}
