/**
 * Label maps of models with different patch grids (DINO ViT-S/16 at 224 px: 14 × 14; DINOv2 ViT-S/14
 * at 224 px: 16 × 16) on one grid, so they can be aligned and drawn side by side.
 * Every model's grid covers the same model view, so a cell maps to the patch under its centre.
 */

/** Side beyond which the common grid is the finest grid instead of the exact least common multiple. */
const MAX_COMMON_SIDE = 128;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The grid every one of `grids` is drawn on: per axis the least common multiple, so each patch
 * becomes a whole block of cells (14 and 16 → 112); when that exceeds {@link MAX_COMMON_SIDE}
 * (16 and 37 → 592), the finest grid, with nearest-patch sampling.
 */
export function commonGrid(grids: readonly (readonly [number, number])[]): [number, number] {
  const side = (axis: 0 | 1): number => {
    const sides = grids.map((g) => g[axis]);
    const lcm = sides.reduce((a, b) => (a / gcd(a, b)) * b, 1);
    return lcm <= MAX_COMMON_SIDE ? lcm : Math.max(...sides);
  };
  return [side(0), side(1)];
}

/** `count` label maps `[count, from]` sampled onto `to` (nearest patch); the same array when equal. */
export function resampleLabels<T extends Int32Array | Uint8Array>(
  labels: T,
  count: number,
  from: readonly [number, number],
  to: readonly [number, number],
): T {
  const [fh, fw] = from;
  const [th, tw] = to;
  if (fh === th && fw === tw) return labels;
  const out = new (labels.constructor as new (length: number) => T)(count * th * tw);
  // Source column of every target column, once.
  const columns = Int32Array.from({ length: tw }, (_, x) => Math.floor(((x + 0.5) * fw) / tw));
  for (let i = 0; i < count; i++) {
    for (let y = 0; y < th; y++) {
      const row = (i * fh + Math.floor(((y + 0.5) * fh) / th)) * fw;
      const target = (i * th + y) * tw;
      for (let x = 0; x < tw; x++) out[target + x] = labels[row + (columns[x] as number)] as number;
    }
  }
  return out;
}
