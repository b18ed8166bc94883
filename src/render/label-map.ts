import { createRgbImage, type RgbImage } from "../images/rgb-image";
import { heatColour } from "../lenses/attention-colours";
import { DEFAULT_OPACITY } from "../vocabulary";
import { clusterColour } from "./palette";

/** How to draw a label map. */
export interface PaintOptions {
  /** Weight of the cluster colour over the photo, 0..1. Default 0.6. */
  opacity?: number;
  /** A cluster to light up: the others are drawn faded. */
  highlight?: number;
  /** Output size; default the photo's, or 8 px per patch without a photo. */
  size?: [height: number, width: number];
}

/**
 * Draws one image's label map (`labels`: gh·gw cluster ids, row-major) nearest-upsampled over
 * `photo` (the model's view of the image, see `modelView`), or alone on white when there is none.
 */
export function paintLabels(
  labels: Int32Array,
  grid: readonly [height: number, width: number],
  photo?: RgbImage,
  options: PaintOptions = {},
): RgbImage {
  const opacity = options.opacity ?? DEFAULT_OPACITY;
  return paintPatches(
    (patch) => clusterColour(labels[patch] as number),
    (patch) =>
      options.highlight === undefined || options.highlight === labels[patch] ? opacity : opacity * 0.15,
    grid,
    photo,
    options.size,
  );
}

/**
 * Draws one image's patch colours (`rgb`: gh·gw·3 bytes, row-major, e.g. the PCA lens's)
 * nearest-upsampled over `photo`, or alone on white, as {@link paintLabels} draws label maps.
 */
export function paintPatchColours(
  rgb: Uint8Array,
  grid: readonly [height: number, width: number],
  photo?: RgbImage,
  options: Omit<PaintOptions, "highlight"> = {},
): RgbImage {
  const opacity = options.opacity ?? DEFAULT_OPACITY;
  return paintPatches(
    (patch) => rgb.subarray(patch * 3, patch * 3 + 3),
    () => opacity,
    grid,
    photo,
    options.size,
  );
}

/** How to draw a heat map. */
export interface HeatOptions {
  /** Weight of the heat colour over the photo, 0..1; default 1. */
  opacity?: number;
  /** Output size; default the photo's, or 8 px per patch without one. */
  size?: [height: number, width: number];
}

/**
 * Draws display levels (`gh·gw`, row-major, 0..255: see `displayLevels`) as a heat map (dark
 * violet low, yellow high) nearest-upsampled over `photo` at `opacity`, or alone.
 */
export function paintHeat(
  levels: Uint8Array,
  grid: readonly [height: number, width: number],
  photo?: RgbImage,
  options: HeatOptions = {},
): RgbImage {
  const alpha = photo === undefined ? 1 : (options.opacity ?? 1);
  return paintPatches(
    (patch) => heatColour(levels[patch] as number),
    () => alpha,
    grid,
    photo,
    options.size,
  );
}

/** Each output pixel: its patch's colour at its patch's weight over the photo's nearest pixel (or white). */
function paintPatches(
  colourOf: (patch: number) => ArrayLike<number>,
  alphaOf: (patch: number) => number,
  grid: readonly [height: number, width: number],
  photo: RgbImage | undefined,
  size: [height: number, width: number] | undefined,
): RgbImage {
  const [gh, gw] = grid;
  const [height, width] = size ?? (photo === undefined ? [gh * 8, gw * 8] : [photo.dims[0], photo.dims[1]]);
  const out = createRgbImage(height, width);
  for (let y = 0; y < height; y++) {
    const py = Math.min(gh - 1, Math.floor((y * gh) / height));
    const sy =
      photo === undefined ? 0 : Math.min(photo.dims[0] - 1, Math.floor((y * photo.dims[0]) / height));
    for (let x = 0; x < width; x++) {
      const px = Math.min(gw - 1, Math.floor((x * gw) / width));
      const patch = py * gw + px;
      const alpha = alphaOf(patch);
      const colour = colourOf(patch);
      const o = (y * width + x) * 3;
      const s =
        photo === undefined
          ? -1
          : (sy * photo.dims[1] + Math.min(photo.dims[1] - 1, Math.floor((x * photo.dims[1]) / width))) * 3;
      for (let c = 0; c < 3; c++) {
        const base = s < 0 ? 255 : (photo?.data[s + c] as number);
        out.data[o + c] = Math.round((1 - alpha) * base + alpha * (colour[c] as number));
      }
    }
  }
  return out;
}
