import type { RgbImage } from "../images/rgb-image";
import { loadSharp } from "../util/load-sharp";
import { DEFAULT_OPACITY } from "../vocabulary";
import { clusterColour, cssColour } from "./palette";
import { type FigurePanel, imagePanelSvg, isLabelPanel, labelPanelSvg, photoDefs } from "./panel-svg";

export type { FigurePanel, LabelPanel } from "./panel-svg";

/** One row of a figure grid: a title, an optional note (metric values) and one panel per column. */
export interface FigureRow {
  title: string;
  note?: string;
  panels: FigurePanel[];
  /** Per panel, lines drawn over its top-left corner (e.g. the model's own block number). */
  captions?: string[][];
  /** A heading above this row, starting a block of rows (e.g. the image the block shows). */
  heading?: string;
}

/** A paper-style grid of label-map panels with titles and a cluster legend. */
export interface FigureSpec {
  title: string;
  /** Column titles (images or representations). */
  columns: string[];
  rows: FigureRow[];
  /** Number of clusters shown in the legend (at least; label maps with higher ids extend it). */
  k: number;
  /** The pictures under label-map panels, each embedded once (`LabelPanel.photo` indexes them). */
  photos?: RgbImage[];
  /** Weight of the label colours over the photos, 0 (the photo only) to 1 (labels only); default 0.6. */
  opacity?: number;
  /** Side of a panel in pixels; default 128. */
  panelSize?: number;
  /** A line under the grid (e.g. that the model is a tiny test model). */
  footnote?: string;
  /** A line in place of the cluster legend, for pictures without clusters (the PCA lens). */
  legend?: string;
  /** A colour scale in place of the cluster legend, for heat maps (e.g. attention). */
  colourBar?: ColourBar;
}

/** A colour scale under the grid: `colours` from low to high, between two end labels. */
export interface ColourBar {
  title: string;
  low: string;
  high: string;
  /** The scale's colours, low to high, as CSS colours. */
  colours: readonly string[];
}

// Text is drawn in DejaVu Sans, installed by .ci/run, so PNGs are the same on every machine.
const FONT = "DejaVu Sans, sans-serif";
const MARGIN = 12;
const GAP = 4;
const TITLE_HEIGHT = 30;
const COLUMN_TITLE_HEIGHT = 20;
const ROW_TITLE_WIDTH = 150;
const LEGEND_HEIGHT = 28;
const HEADING_HEIGHT = 20;

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function text(x: number, y: number, content: string, size: number, extra = ""): string {
  return `<text x="${x}" y="${y}" font-family="${FONT}" font-size="${size}"${extra}>${escapeXml(content)}</text>`;
}

/** The top of each row, and below them the top of the legend. */
function rowTops(spec: FigureSpec): number[] {
  const panel = spec.panelSize ?? 128;
  const tops: number[] = [];
  let y = MARGIN + TITLE_HEIGHT + COLUMN_TITLE_HEIGHT;
  for (const row of spec.rows) {
    if (row.heading !== undefined) y += HEADING_HEIGHT;
    tops.push(y);
    y += panel + GAP;
  }
  return [...tops, y];
}

/** Width and height of the figure for `spec`. */
export function figureSize(spec: FigureSpec): [width: number, height: number] {
  const panel = spec.panelSize ?? 128;
  const width = MARGIN * 2 + ROW_TITLE_WIDTH + spec.columns.length * (panel + GAP);
  const height = (rowTops(spec).at(-1) as number) + LEGEND_HEIGHT + MARGIN;
  return [width, height + (spec.footnote === undefined ? 0 : 18)];
}

/** Clusters in the legend: `spec.k`, or more when a label map was matched to ids beyond it. */
function legendSize(spec: FigureSpec): number {
  let k = spec.k;
  for (const row of spec.rows)
    for (const panel of row.panels)
      if (isLabelPanel(panel)) for (const label of panel.labels) if (label >= k) k = label + 1;
  return k;
}

function colourBar(bar: ColourBar, top: number): string[] {
  const width = 256;
  const step = width / bar.colours.length;
  const left = MARGIN + 64 + 6 * bar.low.length;
  const parts = [
    text(MARGIN, top + 18, bar.title, 12, ' fill="#444"'),
    text(left - 6 * bar.low.length - 4, top + 18, bar.low, 11, ' fill="#444"'),
  ];
  bar.colours.forEach((colour, i) => {
    parts.push(
      `<rect x="${left + i * step}" y="${top + 6}" width="${step + 0.5}" height="14" fill="${colour}"/>`,
    );
  });
  parts.push(text(left + width + 4, top + 18, bar.high, 11, ' fill="#444"'));
  return parts;
}

/** Where panel `column` of row `row` lies in the figure (the same numbers `figureSvg` draws at). */
export function panelBox(
  spec: FigureSpec,
  row: number,
  column: number,
): { x: number; y: number; side: number } {
  const side = spec.panelSize ?? 128;
  return { x: MARGIN + ROW_TITLE_WIDTH + column * (side + GAP), y: rowTops(spec)[row] as number, side };
}

function legend(spec: FigureSpec, top: number): string[] {
  if (spec.legend !== undefined) return [text(MARGIN, top + 18, spec.legend, 12, ' fill="#444"')];
  if (spec.colourBar !== undefined) return colourBar(spec.colourBar, top);
  const parts = [text(MARGIN, top + 18, "clusters", 12, ' fill="#444"')];
  for (let label = 0; label < legendSize(spec); label++) {
    const x = MARGIN + 64 + label * 34;
    parts.push(
      `<rect x="${x}" y="${top + 6}" width="14" height="14" fill="${cssColour(clusterColour(label))}"/>`,
    );
    parts.push(text(x + 17, top + 18, String(label), 11, ' fill="#444"'));
  }
  return parts;
}

/** Caption lines over a panel's top-left corner, white on a dark band so they read over any colour. */
function caption(lines: readonly string[], x: number, y: number): string[] {
  return lines.flatMap((line, i) => [
    `<rect x="${x}" y="${y + i * 13}" width="${line.length * 6 + 6}" height="13" fill="#000000" fill-opacity="0.55"/>`,
    text(x + 3, y + i * 13 + 10, line, 10, ' fill="#ffffff"'),
  ]);
}

/**
 * The figure as an SVG document: label maps as vector paths over photos embedded once each,
 * finished pictures (RGB panels) as embedded PNGs.
 */
export async function figureSvg(spec: FigureSpec): Promise<string> {
  const panel = spec.panelSize ?? 128;
  const opacity = spec.opacity ?? DEFAULT_OPACITY;
  const [width, height] = figureSize(spec);
  const gridTop = MARGIN + TITLE_HEIGHT + COLUMN_TITLE_HEIGHT;
  const gridLeft = MARGIN + ROW_TITLE_WIDTH;
  const tops = rowTops(spec);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    ...(await photoDefs(spec.photos ?? [], panel)),
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(MARGIN, MARGIN + 18, spec.title, 16, ' font-weight="bold"'),
  ];
  spec.columns.forEach((title, c) => {
    parts.push(text(gridLeft + c * (panel + GAP), gridTop - 6, title, 11, ' fill="#333"'));
  });
  for (const [r, row] of spec.rows.entries()) {
    const y = tops[r] as number;
    if (row.heading !== undefined) parts.push(text(MARGIN, y - 6, row.heading, 13, ' fill="#333"'));
    parts.push(text(MARGIN, y + 16, row.title, 13, ' font-weight="bold"'));
    if (row.note !== undefined) {
      row.note.split("\n").forEach((line, i) => {
        parts.push(text(MARGIN, y + 34 + i * 15, line, 11, ' fill="#444"'));
      });
    }
    for (const [c, shown] of row.panels.entries()) {
      const x = gridLeft + c * (panel + GAP);
      if (isLabelPanel(shown)) parts.push(...labelPanelSvg(shown, x, y, panel, opacity));
      else parts.push(await imagePanelSvg(shown, x, y, panel));
      parts.push(...caption(row.captions?.[c] ?? [], x, y));
    }
  }
  const legendTop = tops.at(-1) as number;
  parts.push(...legend(spec, legendTop));
  if (spec.footnote !== undefined)
    parts.push(text(MARGIN, legendTop + LEGEND_HEIGHT + 12, spec.footnote, 10, ' fill="#777"'));
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/** The figure as PNG bytes: the SVG rasterized by sharp (librsvg). */
export async function figurePng(spec: FigureSpec): Promise<Buffer> {
  return loadSharp()(Buffer.from(await figureSvg(spec)))
    .png()
    .toBuffer();
}
