/**
 * The explorer's kernel side (design §4, issue #6): an ipywidgets model with the state of
 * `explorer-state.ts` whose controls, changed by the view, re-run the engine. Newest request wins:
 * every run has its own AbortController, a newer run aborts the older one, and a result is written
 * only while its run is still the newest.
 */
import { setMaxListeners } from "node:events";
import { CancelledError } from "../errors";
import type { RgbImage } from "../images/rgb-image";
import { MIME_BUNDLE, type MimeBundle } from "../kernel/display";
import { requireKernel } from "../kernel/kernel-api";
import { seglensVersion } from "../util/version";
import { createExplorerEngine, type ExplorerEngine, type ExplorerRequest } from "./explorer-engine";
import {
  checkChoices,
  checkImage,
  checkK,
  checkLayerRange,
  checkModels,
  checkNormalize,
  checkOpacity,
  checkRep,
  EXPLORE_DEFAULTS,
  type ExploreOptions,
} from "./explorer-options";
import { framePng } from "./explorer-png";

/** Quiet time after the last frame or view change before the static PNG is rendered. */
const PNG_DELAY_MS = 400;

import type { ExplorerIdentity, ExplorerState } from "./explorer-state";
import { Widget, type WidgetSpec } from "./widget";

/** The synced state without the module identity (the Widget base adds it). */
export type ExplorerWidgetState = Omit<ExplorerState, keyof ExplorerIdentity>;

/** Keys whose change from the view starts a new computation. */
const COMPUTE_KEYS = ["models", "k", "rep", "layer_range", "normalize"] as const;

/** The explorer's module identity (design §4). */
export function explorerSpec(): WidgetSpec {
  const version = `^${seglensVersion()}`;
  return {
    modelName: "ExplorerModel",
    modelModule: "seglens",
    modelModuleVersion: version,
    viewName: "ExplorerView",
    viewModule: "seglens",
    viewModuleVersion: version,
  };
}

function message(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split("\n")[0] as string;
}

/**
 * The explorer widget. Created by {@link explore}; cell code may read its state, `set` controls
 * (as the view does) and await {@link ExplorerWidget.idle}.
 */
export class ExplorerWidget extends Widget<ExplorerWidgetState> {
  private controller: AbortController | undefined;
  private generation = 0;
  private running: Promise<void> = Promise.resolve();
  private rangeChosen: boolean;
  private views: RgbImage[] = [];
  private png: Buffer | undefined;
  private pngTimer: NodeJS.Timeout | undefined;
  private displayed = false;
  private open = true;

  constructor(
    options: ExploreOptions,
    private readonly engine: ExplorerEngine = createExplorerEngine({
      images: typeof options.images === "string" ? [options.images] : options.images,
      ...(options.cache === undefined ? {} : { cache: options.cache }),
    }),
  ) {
    const models = checkModels(options.model);
    super(explorerSpec(), {
      model_choices: checkChoices(models, options.choices),
      layer_bounds: [1, 1],
      image_names: [],
      models,
      k: checkK(options.k ?? EXPLORE_DEFAULTS.k),
      rep: checkRep(options.rep ?? EXPLORE_DEFAULTS.rep),
      layer_range: options.layers === undefined ? [1, 1] : checkLayerRange(options.layers),
      image: "all",
      opacity: checkOpacity(options.opacity ?? EXPLORE_DEFAULTS.opacity),
      normalize: checkNormalize(options.normalize ?? EXPLORE_DEFAULTS.normalize),
      status: { kind: "loading", stage: "features", done: 0, total: 1 },
      images: null,
      frame: null,
    });
    this.rangeChosen = options.layers !== undefined;
    this.on("change", ({ changes, origin }) => {
      if (origin !== "frontend") return;
      if (COMPUTE_KEYS.some((key) => key in changes)) {
        if ("layer_range" in changes) this.rangeChosen = true;
        this.recompute();
      } else if ("image" in changes || "opacity" in changes) this.schedulePng();
    });
    this.on("custom", ({ content }) => {
      if (
        typeof content === "object" &&
        content !== null &&
        (content as { action?: unknown }).action === "cancel"
      )
        this.cancel();
    });
    this.on("close", () => {
      this.open = false;
      this.generation++;
      this.controller?.abort(new CancelledError("widget closed"));
      void this.engine.dispose();
    });
    this.recompute();
  }

  /** Resolves when the newest computation has settled (ready, error or cancelled). */
  async idle(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.running) {
      seen = this.running;
      await seen;
    }
  }

  /** Stops the running work; status becomes `ready` with the last frame, else `idle`. */
  cancel(): void {
    if (!this.open) return;
    this.generation++;
    this.controller?.abort(new CancelledError("cancelled"));
    this.controller = undefined;
    this.engine.cancelFeatures();
    this.set({ status: this.get("frame") === null ? { kind: "idle" } : { kind: "ready" } });
  }

  /** Publishes the widget's display (with a static PNG once a frame exists); later frames update it. */
  display(): void {
    requireKernel().display(this[MIME_BUNDLE](), { displayId: this.modelId, update: this.displayed });
    this.displayed = true;
  }

  /** The widget view, plus `image/png` of the current view when a frame exists. */
  override [MIME_BUNDLE](): MimeBundle {
    const bundle = super[MIME_BUNDLE]();
    return this.png === undefined ? bundle : { ...bundle, "image/png": this.png.toString("base64") };
  }

  /** Starts a computation from the current controls; aborts the one running. */
  private recompute(): void {
    this.controller?.abort(new CancelledError("superseded by a newer request"));
    const controller = new AbortController();
    // Every k-means fit of the run listens to the signal: 12 layers × 3 models exceed Node's warning level of 10.
    setMaxListeners(256, controller.signal);
    this.controller = controller;
    const generation = ++this.generation;
    const current = () => generation === this.generation;
    let request: ExplorerRequest;
    try {
      request = {
        models: checkModels(this.get("models")),
        k: checkK(this.get("k")),
        rep: checkRep(this.get("rep")),
        layerRange: this.rangeChosen ? checkLayerRange(this.get("layer_range")) : undefined,
        normalize: checkNormalize(this.get("normalize")),
      };
    } catch (error) {
      this.set({ status: { kind: "error", message: message(error) } });
      return;
    }
    this.running = this.engine
      .compute(request, controller.signal, (status) => {
        if (current()) this.set({ status });
      })
      .then(
        (result) => {
          if (!current()) return;
          this.views = result.views;
          const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
          // Only what changed: a layer_range echoed back unchanged could overwrite a newer one in flight.
          this.set({
            ...(result.images === undefined ? {} : { images: result.images }),
            ...(same(result.imageNames, this.get("image_names")) ? {} : { image_names: result.imageNames }),
            ...(same(result.layerBounds, this.get("layer_bounds"))
              ? {}
              : { layer_bounds: result.layerBounds }),
            ...(same(result.layerRange, this.get("layer_range")) ? {} : { layer_range: result.layerRange }),
            frame: result.frame,
            status: { kind: "ready" },
          });
          this.schedulePng();
        },
        (error: unknown) => {
          if (!current()) return;
          if (error instanceof CancelledError) return;
          this.set({ status: { kind: "error", message: message(error) } });
        },
      );
  }

  /**
   * Renders the static PNG once the controls have rested for {@link PNG_DELAY_MS}: while a slider
   * moves, rendering every frame's PNG (~0.3 s for ViT-S, 12 layers × 8 images) would delay the
   * next frame, which is what the user is waiting for.
   */
  private schedulePng(): void {
    clearTimeout(this.pngTimer);
    this.pngTimer = setTimeout(() => void this.refreshPng(), PNG_DELAY_MS);
    this.pngTimer.unref();
  }

  /** Renders the static PNG of the current frame and updates the display (best effort). */
  private async refreshPng(): Promise<void> {
    const frame = this.get("frame");
    if (frame === null || !this.open) return;
    try {
      const imageNames = this.get("image_names");
      const image = checkImage(this.get("image"), imageNames.length);
      this.png = await framePng(frame, this.views, { image, opacity: this.get("opacity"), imageNames });
      if (this.get("frame") === frame && this.displayed) this.display();
    } catch {
      // The PNG is a fallback for viewers without a kernel; the widget itself is unaffected.
    }
  }
}

/**
 * Opens the explorer for one to three models over a set of images and displays it. Returns at
 * once; features, k-means and metrics run in the background (`status` shows progress), and the view's
 * controls recompute from the stage they affect. The display also carries a static `image/png` of
 * the current frame (updated with each frame) for viewers without a kernel. Assign the result
 * (`const w = explore(…)`): a bare `explore(…)` as the cell's value shows a second, synced view.
 * @example
 * ```ts
 * import { explore } from "seglens";
 * const w = explore({ model: "dinov2-small", images: ["photos/"], k: 6, rep: "k" });
 * await w.idle(); // optional: wait for the first frame
 * w.get("frame")?.labels.shape; // [1, 12, images, 16, 16]
 * ```
 */
export function explore(options: ExploreOptions): ExplorerWidget {
  const widget = new ExplorerWidget(options);
  widget.display();
  return widget;
}
