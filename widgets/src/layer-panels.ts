import { PALETTE_HEX } from "../../src/render/palette";
import type { DecodedFrame, DecodedImages } from "./binary";
import { h, modelLabel } from "./dom";
import { createLensLegend } from "./lens-legend";
import {
  type Blocks,
  type Canvas,
  CELL_PX,
  displaySize,
  GAP_CSS_PX,
  imageCanvas,
  labelAt,
  labelAtlas,
  MAX_PANEL_CSS_PX,
  MIN_PANEL_CSS_PX,
  PANEL_CSS_PX,
  paint,
  placeCells,
} from "./panel-canvas";
import { columnHeads, explainedNote, imageLabels } from "./panel-labels";

/** What the panels draw. */
export interface PanelInput {
  frame: DecodedFrame;
  /** RGB `[images, height, width, 3]`, or null: labels are drawn on grey. */
  images: DecodedImages | null;
  /** The image index of each of `images` (the state's `page_images`); empty: image i is `images[i]`. */
  imageIndices: readonly number[];
  image: number | "all";
  /** Display names of every image of the set (the state's `image_names`), for the row labels. */
  imageNames: readonly string[];
  /** Overlay opacity 0..1. */
  opacity: number;
  /** The hovered cluster: drawn opaque in every panel, the others faded; its share is shown. */
  highlight: number | null;
}

/**
 * One panel per (model, layer), each with one canvas holding its shown images stacked, in a grid
 * with a header row of layers and a column of image names per model; and the cluster legend.
 */
export interface LayerPanels {
  readonly element: HTMLElement;
  update(input: PanelInput | null): void;
}

/** Positions in `frame.images` of the images to show. */
export function shownPositions(frame: DecodedFrame, image: number | "all"): number[] {
  if (image === "all") return frame.images.map((_, i) => i);
  // A frame computed before the image picker moved may lack the image: show its first until the next.
  return [Math.max(0, frame.images.indexOf(image))];
}

/** Share of patches with label `label` in model `m`, layer position `l`, over the shown images. */
export function clusterShare(
  frame: DecodedFrame,
  m: number,
  l: number,
  positions: number[],
  label: number,
): number {
  if (!frame.labels) return 0;
  const labels = frame.labels.data;
  const [gh, gw] = frame.grid;
  const cells = gh * gw;
  let count = 0;
  for (const p of positions) {
    const start = ((m * frame.layers.length + l) * frame.images.length + p) * cells;
    for (let i = start; i < start + cells; i++) if (labels[i] === label) count++;
  }
  return count / (cells * positions.length);
}

/** The panel width for a panel area `width` CSS pixels wide showing `layers` columns. */
export function fitPanelPx(width: number, layers: number, labelPx: number): number {
  if (width <= 0) return PANEL_CSS_PX; // not laid out yet
  const fit = Math.floor((width - labelPx - GAP_CSS_PX * layers) / Math.max(1, layers));
  // Rounded up to 16 px: a canvas a few pixels wider than shown costs little; a repaint per pixel
  // of a resize would cost a lot.
  return Math.min(MAX_PANEL_CSS_PX, Math.max(MIN_PANEL_CSS_PX, Math.ceil(fit / 16) * 16));
}

/** Builds the panel area; `onHighlight` receives the hovered or focused cluster (null on leave). */
export function createLayerPanels(
  doc: Document,
  signal: AbortSignal,
  onHighlight: (label: number | null) => void,
): LayerPanels {
  // The grid: a label column, then one column per layer that shrinks down to MIN_PANEL_CSS_PX;
  // past that the scroller scrolls sideways, the header row and the label column stay (sticky).
  const grid = h(doc, "div", { class: "seglens-grid" });
  const scroller = h(
    doc,
    "div",
    {
      class: "seglens-panels",
      tabindex: 0,
      role: "region",
      "aria-label": "Layer panels (← → or j k: previous or next image; a: all images or one)",
    },
    grid,
  );
  const legend = h(doc, "div", { class: "seglens-legend", role: "group", "aria-label": "Clusters" });
  const lensLegend = createLensLegend(doc);
  const element = h(doc, "div", {}, scroller, legend, lensLegend.element);
  let canvases: Canvas[] = [];
  let blocks: Blocks = { width: 0, height: 0, gap: 0 };
  let shares: { span: HTMLElement; model: number; layer: number }[] = [];
  /** The panels, model by model, layer by layer. */
  let panels: HTMLElement[] = [];
  let layout: unknown[] = [];
  let painted: unknown[] = [];
  // The images as canvases, once per images array (key: image index, or grey at a grid's size).
  const backgrounds = new Map<string, HTMLCanvasElement>();
  let backgroundsOf: [DecodedImages | null, readonly number[]] = [null, []];
  const atlas = h(doc, "canvas", {});
  let current: PanelInput | null = null;
  /** The CSS width the canvases are drawn for, from the scroller's width (a ResizeObserver). */
  let panelPx = PANEL_CSS_PX;
  let scrollerWidth = 0;

  /** The panel width for the current columns; reads a layout, so only on a resize or a new grid. */
  const fitted = () =>
    fitPanelPx(
      scrollerWidth,
      current?.frame.layers.length ?? 1,
      grid.querySelector<HTMLElement>(".seglens-image-labels")?.offsetWidth ?? 0,
    );
  const refit = () => {
    const next = fitted();
    if (next === panelPx) return;
    panelPx = next;
    painted = []; // redraw at the new size
    if (current) update(current);
  };
  // Observed, not measured while drawing: reading a width there would force a layout per repaint.
  const view = doc.defaultView as (Window & typeof globalThis) | null;
  if (view?.ResizeObserver) {
    const observer = new view.ResizeObserver((entries) => {
      scrollerWidth = entries.at(-1)?.contentRect.width ?? 0;
      refit();
    });
    observer.observe(scroller);
    signal.addEventListener("abort", () => observer.disconnect());
  }

  /** Adds or removes buttons up to `k`: a K change touches only the difference. */
  function resizeLegend(k: number): void {
    while (legend.childElementCount > k) legend.lastElementChild?.remove();
    for (let label = legend.childElementCount; label < k; label++) {
      const button = h(
        doc,
        "button",
        { type: "button", "aria-label": `cluster ${label}`, "data-label": label },
        String(label),
      );
      button.style.background = PALETTE_HEX[label % PALETTE_HEX.length] as string;
      for (const type of ["pointerenter", "focus"])
        button.addEventListener(type, () => onHighlight(label), { signal });
      for (const type of ["pointerleave", "blur"])
        button.addEventListener(type, () => onHighlight(null), { signal });
      legend.append(button);
    }
  }

  function build(input: PanelInput): void {
    const { frame } = input;
    const positions = shownPositions(frame, input.image);
    canvases = [];
    blocks = { width: 0, height: 0, gap: 0 }; // places the new cells on the next paint
    shares = [];
    panels = [];
    grid.style.setProperty("--seglens-layers", String(frame.layers.length));
    grid.replaceChildren(
      ...columnHeads(doc, frame),
      ...frame.models.map((model, m) => {
        const row = h(doc, "div", { class: "seglens-row", "data-model": model, "data-model-index": m });
        row.append(
          h(doc, "div", { class: "seglens-row-title", title: model }, h(doc, "span", {}, modelLabel(model))),
          imageLabels(doc, frame, positions, input.imageNames, model),
        );
        frame.layers.forEach((layer, l) => {
          const span = h(doc, "span", { class: "seglens-share" });
          shares.push({ span, model: m, layer: l });
          const panel = h(doc, "figure", {
            class: "seglens-panel",
            "data-layer": layer,
            "data-model": model,
          });
          panels.push(panel);
          // Each model's own block number: models of other depths show the block at the same relative depth.
          const own = frame.model_layers?.[m]?.[l] ?? layer;
          // One model: the header row says the block already; the caption keeps the hovered share.
          panel.append(h(doc, "figcaption", {}, frame.models.length > 1 ? `L${own} ` : "", span));
          // One canvas per panel, not per image: every canvas is a layer the browser composites
          // on each frame, and 192 of them took a third of a K change's budget in JupyterLab.
          const canvas = { element: h(doc, "canvas", {}), model: m, layer: l, positions };
          canvas.element.addEventListener(
            "pointermove",
            (e) => current && onHighlight(labelAt(canvas, current.frame, blocks, e)),
            { signal },
          );
          canvas.element.addEventListener("pointerleave", () => onHighlight(null), { signal });
          canvases.push(canvas);
          // The images' frames, over the canvas: where each image is, by its index.
          const cells = positions.map((position) =>
            h(doc, "div", { class: "seglens-cell", "data-image": frame.images[position] }),
          );
          panel.append(h(doc, "div", { class: "seglens-stack" }, canvas.element, ...cells));
          row.append(panel);
        });
        return row;
      }),
    );
  }

  function update(input: PanelInput | null): void {
    current = input;
    if (!input) {
      layout = [];
      painted = [];
      grid.replaceChildren();
      legend.replaceChildren();
      lensLegend.update(null);
      return;
    }
    // A new frame of the same layout (a K or representation change) repaints the canvases in
    // place: rebuilding 96 canvases made the browser lay out and raster them all again.
    const { frame } = input;
    const key = [
      JSON.stringify([frame.models, frame.layers, frame.model_layers, frame.images, frame.grid]),
      input.image,
      input.imageNames,
    ];
    if (key.some((v, i) => v !== layout[i])) {
      build(input);
      layout = key;
      painted = [];
      panelPx = fitted(); // another number of layers: another width, and no resize reports it
    }
    // The cluster legend and hover only mean something for clusters; colour frames have their own.
    const clusters = frame.labels !== null;
    legend.hidden = !clusters;
    if (clusters && legend.childElementCount !== frame.k) resizeLegend(frame.k);
    lensLegend.update(frame);
    for (const [l, note] of grid.querySelectorAll(".seglens-layer-note").entries()) {
      const text = explainedNote(frame, l);
      if (note.textContent !== text) note.textContent = text;
    }
    // Status updates (a dozen per K change) change nothing drawn: repaint only when needed.
    const drawn = [
      input.frame,
      input.images,
      input.image,
      input.opacity,
      input.highlight,
      input.imageIndices,
    ];
    if (drawn.some((v, i) => v !== painted[i])) {
      if (input.images !== backgroundsOf[0] || input.imageIndices !== backgroundsOf[1]) {
        backgrounds.clear();
        backgroundsOf = [input.images, input.imageIndices];
      }
      const { images, imageIndices } = input;
      const [gh, gw] = input.frame.grid;
      const background = (index: number) => {
        // The images of the page the kernel sent last; an image of another page is drawn grey.
        const at = imageIndices.length === 0 ? index : imageIndices.indexOf(index);
        const rgb = images && at >= 0 && at < (images.shape[0] ?? 0) ? images : null;
        const size: [number, number] = rgb
          ? [rgb.shape[1] as number, rgb.shape[2] as number]
          : [gh * CELL_PX, gw * CELL_PX];
        const target = displaySize(doc, size, panelPx);
        const key = `${rgb ? index : `grey ${gh}×${gw}`} at ${target.join("×")}`;
        let canvas = backgrounds.get(key);
        if (!canvas) {
          canvas = imageCanvas(doc, rgb, at, size, target);
          backgrounds.set(key, canvas);
        }
        return canvas;
      };
      labelAtlas(atlas, input.frame, input.opacity, input.highlight);
      const size: [number, number] = images
        ? [images.shape[1] as number, images.shape[2] as number]
        : [gh * CELL_PX, gw * CELL_PX];
      const [height, width] = displaySize(doc, size, panelPx);
      const next = { width, height, gap: Math.round((GAP_CSS_PX * width) / panelPx) };
      if (next.width !== blocks.width || next.height !== blocks.height || next.gap !== blocks.gap) {
        blocks = next;
        placeCells(grid, blocks);
      }
      for (const canvas of canvases)
        paint(canvas, input.frame, blocks, (p) => background(input.frame.images[p] ?? 0), atlas);
      for (const [l, panel] of panels.entries())
        panel.classList.toggle("seglens-pending", l % input.frame.layers.length >= input.frame.layers_ready);
      painted = drawn;
    }
    const positions = shownPositions(input.frame, input.image);
    for (const { span, model, layer } of shares) {
      const { highlight } = input;
      span.textContent =
        highlight === null
          ? ""
          : `· ${highlight}: ${(100 * clusterShare(input.frame, model, layer, positions, highlight)).toFixed(1)}%`;
    }
    for (const button of legend.querySelectorAll("button")) {
      // Only on a change: a dozen status updates a K change would each touch every button.
      const pressed = String(button.dataset.label === String(input.highlight));
      if (button.getAttribute("aria-pressed") !== pressed) button.setAttribute("aria-pressed", pressed);
    }
  }

  return { element, update };
}
