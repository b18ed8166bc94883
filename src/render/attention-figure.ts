/** The attention lens as a figure: heat maps of every layer's attention over each image. */
import { basename } from "node:path";
import type { AttentionRows } from "../features/attention-rows";
import type { RgbImage } from "../images/rgb-image";
import { heatColour } from "../lenses/attention-colours";
import { attentionMap, displayLevels, type Head } from "../lenses/attention-maps";
import type { FigureRow, FigureSpec } from "./figure";
import { paintHeat } from "./label-map";

/** What an attention figure shows besides the rows. */
export interface AttentionFigureOptions {
  /** The model's name in the title. */
  model: string;
  /** Image paths, in the rows' order (column titles). */
  images: readonly string[];
  /** Per image, the model's view of it (see `modelView`), under its heat maps. */
  photos: readonly RgbImage[];
  heads: readonly Head[];
  /** Weight of the heat colours over the photo, 0..1. */
  opacity: number;
  footnote?: string;
}

const PANEL = 128;

const headTitle = (head: Head): string => (head === "mean" ? "mean over heads" : `head ${head}`);

/**
 * Layers × images of attention heat maps (a block of rows per shown head when several are), each
 * map scaled on its own from its minimum (dark) to its maximum (yellow) and captioned with its
 * largest probability, so maps stay readable while their scales differ.
 */
export function attentionFigure(set: AttentionRows, options: AttentionFigureOptions): FigureSpec {
  const dims = [set.numImages, set.heads, set.grid[0] * set.grid[1]] as const;
  const rows: FigureRow[] = [];
  for (const head of options.heads) {
    set.layers.forEach((layer, l) => {
      const layerRows = set.rows.get(layer) as Float32Array;
      const panels: RgbImage[] = [];
      const captions: string[][] = [];
      for (let image = 0; image < set.numImages; image++) {
        const map = attentionMap(layerRows, dims, image, head);
        panels.push(
          paintHeat(displayLevels(map), set.grid, options.photos[image], {
            opacity: options.opacity,
            size: [PANEL, PANEL],
          }),
        );
        captions.push([`max ${Math.max(...map).toFixed(3)}`]);
      }
      const row: FigureRow = { title: `layer ${layer}`, panels, captions };
      if (options.heads.length > 1 && l === 0) row.heading = headTitle(head);
      rows.push(row);
    });
  }
  const query = set.reduction === "cls" ? "CLS → patches" : "patch queries (mean) → patches";
  const shown = options.heads.length === 1 ? ` · ${headTitle(options.heads[0] as Head)}` : "";
  const spec: FigureSpec = {
    title: `${options.model} · attention · ${query}${shown}`,
    columns: options.images.map((p) => basename(p)),
    rows,
    k: 0,
    panelSize: PANEL,
    opacity: options.opacity,
    colourBar: {
      title: "attention",
      low: "min",
      high: "max of each map",
      colours: Array.from({ length: 32 }, (_, i) => {
        const [r, g, b] = heatColour((i * 255) / 31);
        return `rgb(${r},${g},${b})`;
      }),
    },
  };
  if (options.footnote !== undefined) spec.footnote = options.footnote;
  return spec;
}
