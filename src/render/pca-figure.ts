/**
 * Figures of the PCA lens, a row per layer of one model: layers × images (one representation) and
 * layers × representations (one image, or a block of rows per image). Each panel is the patch
 * grid's PCA colours, nearest-upsampled over the model's view of the image; each row or panel
 * says how much of the variance the three components explain.
 */
import { basename } from "node:path";
import { featureKey } from "../features/selection";
import type { RgbImage } from "../images/rgb-image";
import type { PcaLayer } from "../lenses/pca";
import type { PcaMaps } from "../lenses/pca-request";
import { DEFAULT_OPACITY, type Rep } from "../vocabulary";
import type { FigureRow, FigureSpec } from "./figure";
import { createPhotoBook, imageBlocks } from "./figure-parts";
import { paintPatchColours } from "./label-map";

/** How a PCA figure is laid out (`seglens figure --lens pca --cols …`). */
export interface PcaFigureLayout {
  /** `images`: a column per image of `rep`; `reps`: a column per representation of `image`. */
  cols: "images" | "reps";
  /** The representation of a `cols: "images"` figure. */
  rep: Rep;
  /** Cols `reps`: the image (index), or `"all"` for a block of rows per image. Default 0. */
  image?: number | "all";
  /** Weight of the PCA colours over the photo: 0 the photo only, 1 the colours only. Default 0.6. */
  opacity?: number;
  footnote?: string;
}

const PANEL = 128;
const percent = (ratio: number): string => `${Math.round(ratio * 100)}%`;

/** `PC1-3 41%`: the share of the variance the three components explain together. */
export function varianceText(layer: PcaLayer): string {
  const [a, b, c] = layer.explainedVarianceRatio;
  return `PC1-3 ${percent(a + b + c)}`;
}

function layerTitle(layer: number): string {
  return layer === 0 ? "embeddings" : `layer ${layer}`;
}

function layerOf(maps: PcaMaps, key: string): PcaLayer {
  const layer = maps.layers.get(key);
  if (layer === undefined) throw new Error(`no PCA for ${key}`);
  return layer;
}

/** The figure of `maps` in `layout` (see {@link PcaFigureLayout}). */
export async function pcaFigure(
  maps: PcaMaps,
  layout: PcaFigureLayout,
  foreground?: number,
): Promise<FigureSpec> {
  const { images, layers, reps, model } = maps.request;
  const [gh, gw] = maps.grid;
  const opacity = layout.opacity ?? DEFAULT_OPACITY;
  const book = createPhotoBook();
  for (const i of images.keys()) book.photo(maps, i);
  const photos = await book.photos();
  const panel = (layer: PcaLayer, image: number): RgbImage =>
    paintPatchColours(
      layer.rgb.subarray(image * gh * gw * 3, (image + 1) * gh * gw * 3),
      [gh, gw],
      photos[image],
      {
        opacity,
        size: [PANEL, PANEL],
      },
    );
  let rows: FigureRow[];
  let columns: string[];
  let shown: string;
  if (layout.cols === "images") {
    shown = layout.rep;
    columns = images.map((p) => basename(p));
    rows = layers
      .filter((l) => l > 0 || layout.rep === "tokens")
      .map((l) => {
        const layer = layerOf(maps, featureKey(layout.rep, l));
        const [a, b, c] = layer.explainedVarianceRatio.map(percent);
        return {
          title: layerTitle(l),
          note: `${varianceText(layer)}\n${a} · ${b} · ${c}`,
          panels: images.map((_, i) => panel(layer, i)),
        };
      });
  } else {
    const image = layout.image ?? 0;
    shown = image === "all" ? `${images.length} images` : basename(images[image] ?? "");
    columns = [...reps];
    rows = imageBlocks(image, images, (i) =>
      layers
        .filter((l) => l > 0)
        .map((l) => {
          const shownLayers = reps.map((rep) => layerOf(maps, featureKey(rep, l)));
          return {
            title: layerTitle(l),
            panels: shownLayers.map((layer) => panel(layer, i)),
            captions: shownLayers.map((layer) => [varianceText(layer)]),
          };
        }),
    );
  }
  const mode = foreground === undefined ? "" : ` (foreground > ${foreground})`;
  const spec: FigureSpec = {
    title: `${basename(model.id)} · ${shown} · PCA${mode}`,
    columns,
    rows,
    k: 0,
    opacity,
    legend: `PCA over all ${images.length} images: components 1, 2, 3 as red, green, blue, each scaled min..max${foreground === undefined ? "" : "; background black"}`,
  };
  if (layout.footnote !== undefined) spec.footnote = layout.footnote;
  return spec;
}
