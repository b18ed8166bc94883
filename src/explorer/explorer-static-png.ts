/**
 * The static `image/png` the explorer's display carries for viewers without a kernel (nbconvert,
 * GitHub): rendered once the controls have rested, never while a slider moves.
 */

/**
 * Quiet time after the last frame or view change before the PNG is rendered. The PNG only matters
 * once the notebook is saved, and updating the display makes JupyterLab render the widget again
 * (a new view: every canvas and the chart, ~0.3 s of the browser's time), so it waits for a rest
 * rather than a pause between two slider moves; rendering every frame's PNG (~0.3 s for ViT-S,
 * 12 layers × 8 images) would also delay the next frame, which is what the user is waiting for.
 */
const PNG_DELAY_MS = 3000;

/** The PNG of the current view, re-rendered after each rest. */
export interface StaticPng {
  /** The last rendered PNG, if any. */
  readonly current: Buffer | undefined;
  /** (Re)starts the rest timer after a frame or a view change. */
  schedule(): void;
}

/** One rendering of the current view, and whether the view it drew is still the one shown. */
export interface PngDrawing {
  png: Promise<Buffer>;
  stillCurrent: () => boolean;
}

/**
 * `render` draws the current view (undefined: nothing to draw yet); `rendered` is told when a PNG
 * of the view still shown is ready (to update the display). A failed render keeps the previous
 * PNG: it is a fallback, the widget itself is unaffected.
 */
export function createStaticPng(render: () => PngDrawing | undefined, rendered: () => void): StaticPng {
  let current: Buffer | undefined;
  let timer: NodeJS.Timeout | undefined;
  const refresh = async (): Promise<void> => {
    try {
      const drawing = render();
      if (drawing === undefined) return;
      current = await drawing.png;
      if (drawing.stillCurrent()) rendered();
    } catch {
      // keep the previous PNG
    }
  };
  return {
    get current() {
      return current;
    },
    schedule() {
      clearTimeout(timer);
      timer = setTimeout(() => void refresh(), PNG_DELAY_MS);
      timer.unref();
    },
  };
}
