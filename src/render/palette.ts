/** An RGB colour, 0..255 per channel. */
export type Rgb8 = readonly [r: number, g: number, b: number];

function hex(value: string): Rgb8 {
  const n = Number.parseInt(value.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

// The first 12 are colour-blind safe: Okabe & Ito's set (black replaced by grey, as black hides in
// dark images) and Paul Tol's muted extras. The next 20 are matplotlib's tab20 with the entries
// too close to those replaced (navy, chartreuse, maroon, dark olive, spring green, magenta).
// biome-ignore format: a table reads better in rows of eight
const HEX = [
  "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999",
  "#882255", "#44AA99", "#999933", "#332288",
  "#000080", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
  "#9467bd", "#7fff00", "#8c564b", "#c49c94", "#800000", "#f7b6d2", "#4d4d00", "#00ff7f",
  "#bcbd22", "#dbdb8d", "#17becf", "#ff00ff",
];

/** Cluster colours: 32, the largest K the explorer offers; the first 12 colour-blind safe. */
export const PALETTE: readonly Rgb8[] = Object.freeze(HEX.map(hex));

/** The same colours as CSS `#rrggbb`, for the browser view (which imports constants, not code). */
export const PALETTE_HEX: readonly string[] = Object.freeze(HEX.map((h) => h.toLowerCase()));

/** The colour of cluster `label`; past the palette's end the colours repeat. */
export function clusterColour(label: number): Rgb8 {
  return PALETTE[label % PALETTE.length] as Rgb8;
}

/** CSS `#rrggbb` of a colour. */
export function cssColour([r, g, b]: Rgb8): string {
  return `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
}
