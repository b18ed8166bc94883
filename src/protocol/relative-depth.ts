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
