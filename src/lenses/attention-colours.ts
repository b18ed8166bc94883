/** An RGB colour, 0..255 per channel. */
export type Rgb8 = readonly [red: number, green: number, blue: number];

// matplotlib's viridis at 0, 1/8, …, 1: perceptually uniform, readable in grey, and the colour
// map DINO's attention figures made familiar. Levels between anchors are interpolated linearly.
const VIRIDIS: readonly Rgb8[] = [
  [68, 1, 84],
  [71, 45, 123],
  [59, 82, 139],
  [44, 114, 142],
  [33, 145, 140],
  [40, 174, 128],
  [94, 201, 98],
  [173, 220, 48],
  [253, 231, 37],
];

const LUT: readonly Rgb8[] = Array.from({ length: 256 }, (_, level) => {
  const at = (level / 255) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(at));
  const t = at - i;
  const [a, b] = [VIRIDIS[i] as Rgb8, VIRIDIS[i + 1] as Rgb8];
  return [0, 1, 2].map((c) =>
    Math.round((a[c] as number) * (1 - t) + (b[c] as number) * t),
  ) as unknown as Rgb8;
});

/** The heat colour of a display level 0..255 (see `displayLevels`): dark violet (low) to yellow (high). */
export function heatColour(level: number): Rgb8 {
  return LUT[Math.max(0, Math.min(255, Math.round(level)))] as Rgb8;
}
