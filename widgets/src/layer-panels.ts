import { PALETTE, PALETTE_HEX } from "../../src/render/palette";
import type { DecodedFrame, DecodedImages } from "./binary";
import { h, modelLabel } from "./dom";

/** What the panels draw. */
export interface PanelInput {
  frame: DecodedFrame;
  /** RGB `[images, height, width, 3]`, or null: labels are drawn on grey. */
  images: DecodedImages | null;
  /** The image index of each of `images` (the state's `page_images`); empty: image i is `images[i]`. */
  imageIndices: readonly number[];
  image: number | "all";
  /** Overlay opacity 0..1. */
  opacity: number;
  /** The hovered cluster: drawn opaque in every panel, the others faded; its share is shown. */
  highlight: number | null;
}

/**
 * One panel per (model, layer), each with one canvas holding its shown images stacked, and the
 * cluster legend.
 */
export interface LayerPanels {
  readonly element: HTMLElement;
  update(input: PanelInput | null): void;
}

/** Side of a grid cell in canvas pixels when there is no image to take the size from. */
const CELL_PX = 8;
/** A panel canvas's CSS width (styles.ts). */
const PANEL_CSS_PX = 128;
/** CSS pixels between two images of a panel. */
const GAP_CSS_PX = 4;
/** Opacity of the clusters that are not highlighted while one is. */
const FADED = 0.15;
const GREY = 128;

/** A panel's canvas: its shown images one below the other, `gap` device pixels apart. */
interface Canvas {
  element: HTMLCanvasElement;
  model: number;
  layer: number;
  /** Positions in `frame.images` of the images, top to bottom. */
  positions: number[];
}

/** The device-pixel geometry of every panel canvas: one image's block and the gap below it. */
interface Blocks {
  width: number;
  height: number;
  gap: number;
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
  const [gh, gw] = frame.grid;
  const cells = gh * gw;
  let count = 0;
  for (const p of positions) {
    const start = ((m * frame.layers.length + l) * frame.images.length + p) * cells;
    for (let i = start; i < start + cells; i++) if (frame.labels.data[i] === label) count++;
  }
  return count / (cells * positions.length);
}

/**
 * A canvas holding `rgb`'s image `index` (or grey) at `width` × `height`, scaled once: every panel
 * of the image then copies it 1:1 instead of resampling the photo on each repaint.
 */
function imageCanvas(
  doc: Document,
  rgb: DecodedImages | null,
  index: number,
  size: [number, number],
  target: [number, number],
): HTMLCanvasElement {
  const [height, width] = size;
  const canvas = h(doc, "canvas", { width: target[1], height: target[0] });
  const context = canvas.getContext("2d");
  if (!context) return canvas;
  if (!rgb) {
    context.fillStyle = `rgb(${GREY}, ${GREY}, ${GREY})`;
    context.fillRect(0, 0, target[1], target[0]);
    return canvas;
  }
  const full = h(doc, "canvas", { width, height });
  const fullContext = full.getContext("2d");
  if (!fullContext) return canvas;
  const out = fullContext.createImageData(width, height);
  const source = rgb.data.subarray(index * height * width * 3, (index + 1) * height * width * 3);
  for (let i = 0, o = 0; i < source.length; i += 3, o += 4) {
    out.data[o] = source[i] as number;
    out.data[o + 1] = source[i + 1] as number;
    out.data[o + 2] = source[i + 2] as number;
    out.data[o + 3] = 255;
  }
  fullContext.putImageData(out, 0, 0);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = "medium";
  context.drawImage(full, 0, 0, target[1], target[0]);
  return canvas;
}

/** A panel canvas's size in device pixels for a background of `size`: at most the displayed size. */
function displaySize(doc: Document, size: [number, number]): [number, number] {
  // A 224 px image shown at 128 px would make the browser raster and composite three times the
  // pixels on every frame.
  const dpr = doc.defaultView?.devicePixelRatio ?? 1;
  const scale = Math.min(1, (PANEL_CSS_PX * dpr) / size[1]);
  return [Math.round(size[0] * scale), Math.round(size[1] * scale)];
}

/**
 * Every label map of `frame` as one RGBA image, one gh-row block per (model, layer, image) in the
 * labels' order (cluster colour, alpha = overlay opacity; layers not yet ready transparent): one
 * `putImageData` for the whole frame instead of one per canvas.
 */
function labelAtlas(atlas: HTMLCanvasElement, input: PanelInput): void {
  const { frame, opacity, highlight } = input;
  const [gh, gw] = frame.grid;
  const maps = frame.labels.data.length / (gh * gw);
  if (atlas.width !== gw || atlas.height !== gh * maps)
    Object.assign(atlas, { width: gw, height: gh * maps });
  const context = atlas.getContext("2d");
  if (!context) return;
  const pixels = context.createImageData(gw, gh * maps);
  const colours = new Uint32Array(frame.k);
  const bytes = new Uint8Array(colours.buffer);
  for (let label = 0; label < frame.k; label++) {
    const alpha = highlight === null ? opacity : label === highlight ? 1 : opacity * FADED;
    bytes.set(PALETTE[label % PALETTE.length] as readonly number[], label * 4);
    bytes[label * 4 + 3] = Math.round(alpha * 255);
  }
  const out = new Uint32Array(pixels.data.buffer);
  const labels = frame.labels.data;
  const perLayer = frame.images.length * gh * gw;
  for (let m = 0; m < frame.models.length; m++) {
    for (let l = 0; l < frame.layers_ready; l++) {
      const start = (m * frame.layers.length + l) * perLayer;
      for (let i = start; i < start + perLayer; i++) out[i] = colours[labels[i] as number] as number;
    }
  }
  context.putImageData(pixels, 0, 0);
}

/**
 * Draws one panel canvas: per image, its background, then its block of the label atlas scaled up
 * without smoothing, so the browser does the blending. Blending 4.8 M pixels in JavaScript took
 * ~170 ms of a frame's latency; 192 images drawn this way take a few ms.
 */
function paint(
  canvas: Canvas,
  frame: DecodedFrame,
  blocks: Blocks,
  background: (position: number) => HTMLCanvasElement,
  atlas: HTMLCanvasElement,
): void {
  const [gh, gw] = frame.grid;
  const { width, height, gap } = blocks;
  const { element, positions } = canvas;
  const total = positions.length * (height + gap) - gap;
  if (element.width !== width || element.height !== total) Object.assign(element, { width, height: total });
  const context = element.getContext("2d");
  if (!context) return;
  for (const [i, position] of positions.entries()) {
    const y = i * (height + gap);
    // The backgrounds are opaque: each overwrites its block; the gaps stay transparent.
    context.imageSmoothingEnabled = true;
    context.drawImage(background(position), 0, y, width, height);
    context.imageSmoothingEnabled = false; // the label cells, scaled up as blocks
    const block = (canvas.model * frame.layers.length + canvas.layer) * frame.images.length + position;
    context.drawImage(atlas, 0, block * gh, gw, gh, 0, y, width, height);
  }
}

/** The label under a pointer event on `canvas`, or null over a gap or outside. */
function labelAt(canvas: Canvas, frame: DecodedFrame, blocks: Blocks, event: PointerEvent): number | null {
  const box = canvas.element.getBoundingClientRect();
  const [gh, gw] = frame.grid;
  const x = ((event.clientX - box.left) / box.width) * canvas.element.width;
  const y = ((event.clientY - box.top) / box.height) * canvas.element.height;
  const index = Math.floor(y / (blocks.height + blocks.gap));
  const position = canvas.positions[index];
  const inBlock = y - index * (blocks.height + blocks.gap);
  if (position === undefined || x < 0 || inBlock < 0 || x >= blocks.width || inBlock >= blocks.height)
    return null;
  const gx = Math.floor((x / blocks.width) * gw);
  const gy = Math.floor((inBlock / blocks.height) * gh);
  const start =
    ((canvas.model * frame.layers.length + canvas.layer) * frame.images.length + position) * gh * gw;
  return frame.labels.data[start + gy * gw + gx] ?? null;
}

/** Puts each `.seglens-cell` of `grid` over its image in the panel canvas below it. */
function placeCells(grid: HTMLElement, blocks: Blocks): void {
  for (const stack of grid.querySelectorAll<HTMLElement>(".seglens-stack")) {
    const cells = stack.querySelectorAll<HTMLElement>(".seglens-cell");
    const total = cells.length * (blocks.height + blocks.gap) - blocks.gap;
    for (const [i, cell] of cells.entries()) {
      cell.style.top = `${(100 * i * (blocks.height + blocks.gap)) / total}%`;
      cell.style.height = `${(100 * blocks.height) / total}%`;
    }
  }
}

/** Builds the panel area; `onHighlight` receives the hovered or focused cluster (null on leave). */
export function createLayerPanels(
  doc: Document,
  signal: AbortSignal,
  onHighlight: (label: number | null) => void,
): LayerPanels {
  const grid = h(doc, "div", { class: "seglens-panels" });
  const legend = h(doc, "div", { class: "seglens-legend", role: "group", "aria-label": "Clusters" });
  const element = h(doc, "div", {}, grid, legend);
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
    grid.replaceChildren(
      ...frame.models.map((model, m) => {
        const row = h(doc, "div", { class: "seglens-row", "data-model": model });
        row.append(h(doc, "div", { class: "seglens-row-title", title: model }, modelLabel(model)));
        frame.layers.forEach((layer, l) => {
          const span = h(doc, "span", { class: "seglens-share" });
          shares.push({ span, model: m, layer: l });
          const panel = h(doc, "figure", {
            class: "seglens-panel",
            "data-layer": layer,
            "data-model": model,
          });
          panels.push(panel);
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
          // Each model's own block number: models of other depths show the block at the same relative depth.
          const own = frame.model_layers?.[m]?.[l] ?? layer;
          panel.append(h(doc, "figcaption", {}, `L${own} `, span));
          row.append(panel);
        });
        return row;
      }),
    );
  }

  return {
    element,
    update(input) {
      current = input;
      if (!input) {
        layout = [];
        painted = [];
        grid.replaceChildren();
        legend.replaceChildren();
        return;
      }
      // A new frame of the same layout (a K or representation change) repaints the canvases in
      // place: rebuilding 96 canvases made the browser lay out and raster them all again.
      const { frame } = input;
      const key = [JSON.stringify([frame.models, frame.layers, frame.images, frame.grid]), input.image];
      if (key.some((v, i) => v !== layout[i])) {
        build(input);
        layout = key;
        painted = [];
      }
      if (legend.childElementCount !== frame.k) resizeLegend(frame.k);
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
          const target = displaySize(doc, size);
          const key = `${rgb ? index : `grey ${gh}×${gw}`} at ${target.join("×")}`;
          let canvas = backgrounds.get(key);
          if (!canvas) {
            canvas = imageCanvas(doc, rgb, at, size, target);
            backgrounds.set(key, canvas);
          }
          return canvas;
        };
        labelAtlas(atlas, input);
        const size: [number, number] = images
          ? [images.shape[1] as number, images.shape[2] as number]
          : [gh * CELL_PX, gw * CELL_PX];
        const [height, width] = displaySize(doc, size);
        const next = { width, height, gap: Math.round((GAP_CSS_PX * width) / PANEL_CSS_PX) };
        if (next.width !== blocks.width || next.height !== blocks.height || next.gap !== blocks.gap) {
          blocks = next;
          placeCells(grid, blocks);
        }
        for (const canvas of canvases)
          paint(canvas, input.frame, blocks, (p) => background(input.frame.images[p] ?? 0), atlas);
        for (const [l, panel] of panels.entries())
          panel.classList.toggle(
            "seglens-pending",
            l % input.frame.layers.length >= input.frame.layers_ready,
          );
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
    },
  };
}
