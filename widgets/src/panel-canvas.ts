// Drawing a panel's canvas: the images of a page scaled once, every label map of a frame as one
// atlas, and the stacked images of one panel drawn from them.
import { PALETTE } from "../../src/render/palette";
import type { DecodedFrame, DecodedImages } from "./binary";
import { h } from "./dom";

/** Side of a grid cell in canvas pixels when there is no image to take the size from. */
export const CELL_PX = 8;
/** The narrowest a panel gets before the panel area scrolls sideways (styles.ts' grid track). */
export const MIN_PANEL_CSS_PX = 48;
/** The widest a panel gets when few layers leave room (styles.ts' grid track). */
export const MAX_PANEL_CSS_PX = 224;
/** A panel's CSS width assumed until the panel area has been laid out. */
export const PANEL_CSS_PX = 128;
/** CSS pixels between two images of a panel. */
export const GAP_CSS_PX = 4;
/** Opacity of the clusters that are not highlighted while one is. */
const FADED = 0.15;
const GREY = 128;

/** A panel's canvas: its shown images one below the other, `gap` device pixels apart. */
export interface Canvas {
  element: HTMLCanvasElement;
  model: number;
  layer: number;
  /** Positions in `frame.images` of the images, top to bottom. */
  positions: number[];
}

/** The device-pixel geometry of every panel canvas: one image's block and the gap below it. */
export interface Blocks {
  width: number;
  height: number;
  gap: number;
}

/**
 * A canvas holding `rgb`'s image `index` (or grey) at `width` × `height`, scaled once: every panel
 * of the image then copies it 1:1 instead of resampling the photo on each repaint.
 */
export function imageCanvas(
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

/**
 * A panel canvas's size in device pixels for a background of `size` shown `panelPx` CSS pixels
 * wide: at most the displayed size.
 */
export function displaySize(doc: Document, size: [number, number], panelPx = PANEL_CSS_PX): [number, number] {
  // A 224 px image shown at 128 px would make the browser raster and composite three times the
  // pixels on every frame.
  const dpr = doc.defaultView?.devicePixelRatio ?? 1;
  const scale = Math.min(1, (panelPx * dpr) / size[1]);
  return [Math.round(size[0] * scale), Math.round(size[1] * scale)];
}

/**
 * Every map of `frame` as one RGBA image, one gh-row block per (model, layer, image) in the
 * frame's order (a cluster's palette colour, or a colour frame's own colour; alpha = overlay
 * opacity; layers not yet ready transparent): one `putImageData` for the whole frame instead of
 * one per canvas.
 */
export function labelAtlas(
  atlas: HTMLCanvasElement,
  frame: DecodedFrame,
  opacity: number,
  highlight: number | null,
): void {
  const [gh, gw] = frame.grid;
  const maps = frame.models.length * frame.layers.length * frame.images.length;
  if (atlas.width !== gw || atlas.height !== gh * maps)
    Object.assign(atlas, { width: gw, height: gh * maps });
  const context = atlas.getContext("2d");
  if (!context) return;
  const pixels = context.createImageData(gw, gh * maps);
  const perLayer = frame.images.length * gh * gw;
  const ready = (write: (from: number, to: number) => void) => {
    for (let m = 0; m < frame.models.length; m++) {
      const start = m * frame.layers.length * perLayer;
      write(start, start + frame.layers_ready * perLayer);
    }
  };
  if (frame.colors) {
    const rgb = frame.colors.data;
    const alpha = Math.round(opacity * 255);
    const out = pixels.data;
    ready((from, to) => {
      for (let i = from; i < to; i++) {
        out[i * 4] = rgb[i * 3] as number;
        out[i * 4 + 1] = rgb[i * 3 + 1] as number;
        out[i * 4 + 2] = rgb[i * 3 + 2] as number;
        out[i * 4 + 3] = alpha;
      }
    });
  } else if (frame.labels) {
    const colours = new Uint32Array(frame.k);
    const bytes = new Uint8Array(colours.buffer);
    for (let label = 0; label < frame.k; label++) {
      const alpha = highlight === null ? opacity : label === highlight ? 1 : opacity * FADED;
      bytes.set(PALETTE[label % PALETTE.length] as readonly number[], label * 4);
      bytes[label * 4 + 3] = Math.round(alpha * 255);
    }
    const out = new Uint32Array(pixels.data.buffer);
    const labels = frame.labels.data;
    ready((from, to) => {
      for (let i = from; i < to; i++) out[i] = colours[labels[i] as number] as number;
    });
  }
  context.putImageData(pixels, 0, 0);
}

/**
 * Draws one panel canvas: per image, its background, then its block of the label atlas scaled up
 * without smoothing, so the browser does the blending. Blending 4.8 M pixels in JavaScript took
 * ~170 ms of a frame's latency; 192 images drawn this way take a few ms.
 */
export function paint(
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

/** The label under a pointer event on `canvas`, or null over a gap, outside, or in a colour frame. */
export function labelAt(
  canvas: Canvas,
  frame: DecodedFrame,
  blocks: Blocks,
  event: PointerEvent,
): number | null {
  if (!frame.labels) return null;
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

/**
 * Puts each `.seglens-cell` of `grid` over its image in the panel canvas below it, and each image
 * name of a row's `.seglens-names` beside it (the same fractions of the row's height).
 */
export function placeCells(grid: HTMLElement, blocks: Blocks): void {
  for (const stack of grid.querySelectorAll<HTMLElement>(".seglens-stack, .seglens-names")) {
    const cells = stack.querySelectorAll<HTMLElement>(".seglens-cell, .seglens-image-label");
    const total = cells.length * (blocks.height + blocks.gap) - blocks.gap;
    for (const [i, cell] of cells.entries()) {
      cell.style.top = `${(100 * i * (blocks.height + blocks.gap)) / total}%`;
      cell.style.height = `${(100 * blocks.height) / total}%`;
    }
  }
}
