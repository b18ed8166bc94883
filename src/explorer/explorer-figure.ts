/**
 * The explorer's current view as a figure: the static `image/png` of the display
 * bundle (what nbconvert, GitHub and viewers without a kernel show) and the PNG/SVG export share
 * this one layout.
 */
import { basename } from "node:path";
import type { RgbImage } from "../images/rgb-image";
import { type FigureRow, type FigureSpec, figurePng, figureSvg } from "../render/figure";
import { paintLabels } from "../render/label-map";
import type { ExplorerFrame, ExportFormat } from "./explorer-state";

/**
 * What part of a frame the figure shows: the view's image choice (an image of the frame's page,
 * else the whole page) and opacity.
 */
export interface FrameFigureOptions {
  image: number | "all";
  opacity: number;
  imageNames: readonly string[];
}

const fixed = (value: number | null): string => (value === null ? "–" : value.toFixed(2));

/**
 * One row per layer; one column per (model, image) shown; the title names models, rep and K.
 * `views` are the page's images in the frame's order (`frame.images`).
 */
export function frameFigure(
  frame: ExplorerFrame,
  views: readonly RgbImage[],
  options: FrameFigureOptions,
): FigureSpec {
  const [, layerCount, n, gh, gw] = frame.labels.shape as [number, number, number, number, number];
  const bytes = frame.labels.buffer as Uint8Array;
  const chosen = options.image === "all" ? -1 : frame.images.indexOf(options.image);
  const shown = chosen < 0 ? frame.images.map((_, p) => p) : [chosen];
  const columns = frame.models.flatMap((model) =>
    shown.map((p) => {
      const i = frame.images[p] as number;
      return `${frame.models.length > 1 ? `${basename(model)} · ` : ""}${options.imageNames[i] ?? i}`;
    }),
  );
  const rows: FigureRow[] = frame.layers.map((layer, l) => {
    const panels = frame.models.flatMap((_, m) =>
      shown.map((p) => {
        const from = ((m * layerCount + l) * n + p) * gh * gw;
        const labels = Int32Array.from(bytes.subarray(from, from + gh * gw));
        return paintLabels(labels, [gh, gw], views[p], { opacity: options.opacity, size: [96, 96] });
      }),
    );
    const scores = frame.metrics[0]?.[l];
    const row: FigureRow = { title: `layer ${layer}`, panels };
    if (scores !== undefined)
      row.note = `PB ${fixed(scores.pb)}  LC ${fixed(scores.lc)}\nBA ${fixed(scores.ba)}`;
    return row;
  });
  const title = `${frame.models.map((m) => basename(m)).join(" | ")} · ${frame.rep} · K=${frame.k}`;
  return { title, columns, rows, k: frame.k, panelSize: 96 };
}

/** {@link frameFigure} rendered as file bytes: PNG, or an SVG document (UTF-8). */
export async function renderFrame(
  frame: ExplorerFrame,
  views: readonly RgbImage[],
  options: FrameFigureOptions & { format: ExportFormat },
): Promise<Buffer> {
  const spec = frameFigure(frame, views, options);
  return options.format === "png" ? figurePng(spec) : Buffer.from(await figureSvg(spec));
}
