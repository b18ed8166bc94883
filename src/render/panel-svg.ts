/**
 * The SVG of a figure's panels. A label map is drawn as vector paths (one per cluster, see
 * `labelPaths`) with `fill-opacity` over its photo; each photo is embedded once, as a small JPEG in
 * `<defs>`, and every panel of that image refers to it with `<use>`. A 12-layer × 5-image figure
 * is then a few hundred kilobytes where one PNG per panel made it over 6 MB.
 */

import { encodePng } from "../images/encode-png";
import type { RgbImage } from "../images/rgb-image";
import { loadSharp } from "../util/load-sharp";
import { labelPaths } from "./label-paths";
import { clusterColour, cssColour } from "./palette";

/** A label map drawn over one of the figure's photos. */
export interface LabelPanel {
  /** gh·gw cluster ids of one image, row-major. */
  labels: Int32Array;
  grid: readonly [height: number, width: number];
  /** Index into the figure's `photos` of the picture under the labels; none: white. */
  photo?: number;
}

/** A panel: a label map (vector, small) or a finished picture (embedded as PNG). */
export type FigurePanel = LabelPanel | RgbImage;

/** Whether `panel` is a label map rather than a finished picture. */
export function isLabelPanel(panel: FigurePanel): panel is LabelPanel {
  return "labels" in panel;
}

// Good enough for a photo under coloured labels at panel size: ~5 kB for 128 × 128.
const JPEG_QUALITY = 80;

const photoId = (index: number): string => `photo-${index}`;

/** The `<defs>` entry of each photo, resized to the panel's side, as an embedded JPEG. */
export async function photoDefs(photos: readonly RgbImage[], side: number): Promise<string[]> {
  const defs = await Promise.all(
    photos.map(async (photo, i) => {
      const [height, width] = photo.dims;
      const jpeg = await loadSharp()(photo.data, { raw: { width, height, channels: 3 } })
        .resize(side, side, { fit: "fill" })
        .jpeg({ quality: JPEG_QUALITY })
        .toBuffer();
      return `<image id="${photoId(i)}" width="${side}" height="${side}" preserveAspectRatio="none" href="data:image/jpeg;base64,${jpeg.toString("base64")}"/>`;
    }),
  );
  return defs.length === 0 ? [] : ["<defs>", ...defs, "</defs>"];
}

// Six significant digits: enough for any panel, short in the file.
const num = (value: number): string => String(Number(value.toFixed(6)));

/**
 * A label map at (`x`, `y`), `side` pixels square: its photo (or white), then one path per
 * cluster at `opacity` (0 draws no path: the photo alone). Edges are crisp, as nearest upsampling
 * draws them, so neighbouring clusters meet without an anti-aliased seam.
 */
export function labelPanelSvg(
  panel: LabelPanel,
  x: number,
  y: number,
  side: number,
  opacity: number,
): string[] {
  const parts =
    panel.photo === undefined
      ? [`<rect x="${x}" y="${y}" width="${side}" height="${side}" fill="#ffffff"/>`]
      : [`<use href="#${photoId(panel.photo)}" x="${x}" y="${y}"/>`];
  if (opacity <= 0) return parts;
  const [gh, gw] = panel.grid;
  parts.push(
    `<g transform="translate(${x} ${y}) scale(${num(side / gw)} ${num(side / gh)})" fill-opacity="${num(opacity)}" shape-rendering="crispEdges">`,
  );
  for (const [label, d] of labelPaths(panel.labels, panel.grid)) {
    parts.push(`<path fill="${cssColour(clusterColour(label))}" d="${d}"/>`);
  }
  parts.push("</g>");
  return parts;
}

/** A finished picture at (`x`, `y`), stretched to `side` pixels square, as an embedded PNG. */
export async function imagePanelSvg(image: RgbImage, x: number, y: number, side: number): Promise<string> {
  const png = (await encodePng(image)).toString("base64");
  return `<image x="${x}" y="${y}" width="${side}" height="${side}" preserveAspectRatio="none" xlink:href="data:image/png;base64,${png}"/>`;
}
