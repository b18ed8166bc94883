/**
 * The explorer's current view as a figure: the static `image/png` of the display
 * bundle (what nbconvert, GitHub and viewers without a kernel show) and the PNG/SVG export share
 * this one layout.
 */
import { basename } from "node:path";
import type { RgbImage } from "../images/rgb-image";
import { type FigureRow, type FigureSpec, figurePng, figureSvg } from "../render/figure";
import { paintLabels, paintPatchColours } from "../render/label-map";
import type { BinaryArray, ExplorerFrame, ExportFormat } from "./explorer-state";

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
  const coloured = frame.colors !== undefined;
  const maps = (frame.colors ?? frame.labels) as BinaryArray<"uint8">;
  const [, layerCount, n, gh, gw] = maps.shape as [number, number, number, number, number];
  const bytes = maps.buffer as Uint8Array;
  const chosen = options.image === "all" ? -1 : frame.images.indexOf(options.image);
  const shown = chosen < 0 ? frame.images.map((_, p) => p) : [chosen];
  const columns = frame.models.flatMap((model) =>
    shown.map((p) => {
      const i = frame.images[p] as number;
      return `${frame.models.length > 1 ? `${basename(model)} · ` : ""}${options.imageNames[i] ?? i}`;
    }),
  );
  const size: [number, number] = [96, 96];
  const rows: FigureRow[] = frame.layers.map((layer, l) => {
    const panels = frame.models.flatMap((_, m) =>
      shown.map((p) => {
        const from = ((m * layerCount + l) * n + p) * gh * gw;
        if (coloured)
          return paintPatchColours(bytes.subarray(from * 3, (from + gh * gw) * 3), [gh, gw], views[p], {
            opacity: options.opacity,
            size,
          });
        const labels = Int32Array.from(bytes.subarray(from, from + gh * gw));
        return paintLabels(labels, [gh, gw], views[p], { opacity: options.opacity, size });
      }),
    );
    const row: FigureRow = { title: `layer ${layer}`, panels };
    const note = rowNote(frame, l);
    if (note !== undefined) row.note = note;
    return row;
  });
  const names = frame.models.map((m) => basename(m)).join(" | ");
  const title = `${names} · ${frame.rep} · ${lensTitle(frame)}`;
  if (coloured) {
    const legend =
      frame.lens === "pca"
        ? "red, green, blue: principal components 1, 2, 3"
        : "attention: low (dark) to high (bright)";
    return { title, columns, rows, k: frame.k, legend, panelSize: 96 };
  }
  return { title, columns, rows, k: frame.k, panelSize: 96 };
}

/** What the lens shows, for the figure's title. */
function lensTitle(frame: ExplorerFrame): string {
  if (frame.lens === "pca") return "PCA (components 1–3 as RGB)";
  if (frame.lens === "attention")
    return `attention, ${frame.head === "mean" || frame.head === undefined ? "mean of heads" : `head ${frame.head}`}`;
  return `K=${frame.k}`;
}

/** The first model's numbers beside a row: scores of a clustering, explained variance of a PCA. */
function rowNote(frame: ExplorerFrame, l: number): string | undefined {
  if (frame.lens === "pca") {
    const shares = frame.explained?.[0]?.[l];
    return shares === undefined
      ? undefined
      : `PC1–3 ${Math.round(100 * (shares[0] + shares[1] + shares[2]))}%`;
  }
  if (frame.lens === "attention") return undefined;
  const scores = frame.metrics[0]?.[l];
  return scores === undefined
    ? undefined
    : `PB ${fixed(scores.pb)}  LC ${fixed(scores.lc)}\nBA ${fixed(scores.ba)}`;
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
