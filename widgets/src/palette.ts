// A copy of the 32 hex values of src/render/palette.ts (widgets/ shares types with src/, not code,
// so the view's bundle holds no kernel module). test/widgets/widgets-package.test.ts fails when
// the two lists drift apart.
// biome-ignore format: a table reads better in rows of eight
const HEX = [
  "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999",
  "#882255", "#44AA99", "#999933", "#332288",
  "#000080", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
  "#9467bd", "#7fff00", "#8c564b", "#c49c94", "#800000", "#f7b6d2", "#4d4d00", "#00ff7f",
  "#bcbd22", "#dbdb8d", "#17becf", "#ff00ff",
] as const;

/** Cluster colours as `#rrggbb`, in the order of the kernel's palette; the explorer's K ≤ 32. */
export const PALETTE_HEX: readonly string[] = Object.freeze(HEX.map((h) => h.toLowerCase()));

/** Cluster colours as `[r, g, b]` bytes. */
export const PALETTE_RGB: readonly (readonly [r: number, g: number, b: number])[] = Object.freeze(
  HEX.map((h) => {
    const n = Number.parseInt(h.slice(1), 16);
    return Object.freeze([(n >> 16) & 255, (n >> 8) & 255, n & 255] as const);
  }),
);

/** The colour of cluster `label`; past the palette's end the colours repeat, as in the kernel. */
export function clusterRgb(label: number): readonly [r: number, g: number, b: number] {
  return PALETTE_RGB[label % PALETTE_RGB.length] as readonly [number, number, number];
}
