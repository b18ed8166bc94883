import { createRgbImage, type RgbImage } from "../images/rgb-image";

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

/** How to draw a heat map. */
export interface HeatOptions {
  /** Weight of the heat colour over the photo, 0..1; default 1 without a photo. */
  opacity?: number;
  /** Output size; default the photo's, or 8 px per patch without one. */
  size?: [height: number, width: number];
}

/**
 * Draws display levels (`gh·gw`, row-major) as a heat map nearest-upsampled to the output size,
 * over `photo` (the model's view of the image) at `opacity`, or alone.
 */
export function paintHeat(
  levels: Uint8Array,
  grid: readonly [height: number, width: number],
  photo?: RgbImage,
  options: HeatOptions = {},
): RgbImage {
  const [gh, gw] = grid;
  const [height, width] =
    options.size ?? (photo === undefined ? [gh * 8, gw * 8] : [photo.dims[0], photo.dims[1]]);
  const alpha = photo === undefined ? 1 : (options.opacity ?? 1);
  const out = createRgbImage(height, width);
  for (let y = 0; y < height; y++) {
    const py = Math.min(gh - 1, Math.floor((y * gh) / height));
    const sy =
      photo === undefined ? 0 : Math.min(photo.dims[0] - 1, Math.floor((y * photo.dims[0]) / height));
    for (let x = 0; x < width; x++) {
      const px = Math.min(gw - 1, Math.floor((x * gw) / width));
      const colour = heatColour(levels[py * gw + px] as number);
      const o = (y * width + x) * 3;
      const s =
        photo === undefined
          ? -1
          : (sy * photo.dims[1] + Math.min(photo.dims[1] - 1, Math.floor((x * photo.dims[1]) / width))) * 3;
      for (let c = 0; c < 3; c++) {
        const base = s < 0 ? 0 : (photo?.data[s + c] as number);
        out.data[o + c] = Math.round((1 - alpha) * base + alpha * (colour[c] as number));
      }
    }
  }
  return out;
}
