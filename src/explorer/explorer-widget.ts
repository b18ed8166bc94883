/**
 * The explorer's kernel side: an ipywidgets model with the state of
 * `explorer-state.ts` whose controls, changed by the view, re-run the engine. Newest request wins:
 * every run has its own AbortController, a newer run aborts the older one, and a result is written
 * only while its run is still the newest.
 */
import { setMaxListeners } from "node:events";
import { CancelledError } from "../errors";
import type { RgbImage } from "../images/rgb-image";
import { MIME_BUNDLE, type MimeBundle } from "../kernel/display";
import { Widget, type WidgetSpec } from "../kernel/ipywidgets/widget";
import { requireKernel } from "../kernel/kernel-api";
import { delay } from "../util/abortable";
import { pageOfItem } from "../util/paging";
import { seglensVersion } from "../util/version";
import {
  createExplorerEngine,
  type ExplorerEngine,
  type ExplorerRequest,
  type ExplorerResult,
} from "./explorer-engine";
import { exportFilename, exportFormatOf, NoFrameError, writeExport } from "./explorer-export";
import { renderFrame } from "./explorer-figure";
import { errorLine as message, readViewMessage, refusal } from "./explorer-messages";
import {
  checkDepth,
  checkImage,
  checkModels,
  EXPLORER_VIEW_CHECKS,
  type ExploreOptions,
  engineOptions,
  initialState,
  requestOf,
} from "./explorer-options";
import { precomputeIdle } from "./explorer-precompute";
import { throttledProgress } from "./explorer-progress";
import { type ExplorerWidgetState, resultUpdate } from "./explorer-publish";
import type {
  ExplorerFrame,
  ExplorerKernelMessage,
  ExplorerViewMessage,
  ExportFormat,
} from "./explorer-state";
import { createStaticPng } from "./explorer-static-png";

/**
 * Keys whose change from the view starts a new computation (a page change only cuts another frame
 * from the kept clustering).
 */
const COMPUTE_KEYS = [
  "models",
  "k",
  "rep",
  "lens",
  "head",
  "layer_range",
  "normalize",
  "page",
  "page_size",
] as const;

/** Rest after a provisional frame before its refined clustering starts. */
const REFINE_DELAY_MS = 150;

/** The explorer's module identity: the names the labextension registers (`widgets/src/version.ts`). */
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

/**
 * The explorer widget. Created by {@link explore}; cell code may read its state, `set` controls
 * (as the view does) and await {@link ExplorerWidget.idle}.
 */
export class ExplorerWidget extends Widget<ExplorerWidgetState> {
  private controller: AbortController | undefined;
  private generation = 0;
  private running: Promise<void> = Promise.resolve();
  private rangeChosen: boolean;
  /** `explore({ depth })`'s fractions, until the user picks a layer range. */
  private depths: number[] | undefined;
  /** The shown page's views, in page order (for the static PNG and exports). */
  private views: RgbImage[] = [];
  /** The first image of the page shown, which a page size change keeps on screen. */
  private shownStart = 0;
  private readonly png = createStaticPng(
    () => {
      const frame = this.get("frame");
      if (frame === null || !this.open) return undefined;
      return { png: this.render(frame, "png"), stillCurrent: () => this.get("frame") === frame };
    },
    () => {
      if (this.displayed) this.display();
    },
  );
  private displayed = false;
  private open = true;
  /** The idle precomputation of other K values, stopped by any new request. */
  private warming: AbortController | undefined;
  private readonly precompute: boolean;
  /** Whether `explore({ image })` chose the image; otherwise a large set starts with one image. */
  private readonly imageChosen: boolean;

  constructor(
    options: ExploreOptions,
    private readonly engine: ExplorerEngine = createExplorerEngine(engineOptions(options)),
  ) {
    const models = checkModels(options.model);
    const depths = checkDepth(options.depth, options.layers);
    super(explorerSpec(), initialState(options, models), { viewChecks: EXPLORER_VIEW_CHECKS });
    this.rangeChosen = options.layers !== undefined;
    this.depths = depths;
    this.precompute = options.precompute ?? true;
    this.imageChosen = options.image !== undefined;
    this.on("change", ({ changes, origin }) => {
      if (origin !== "frontend") return;
      if (this.get("view_error") !== null) this.set({ view_error: null });
      if (COMPUTE_KEYS.some((key) => key in changes)) {
        if ("layer_range" in changes) {
          // A range the user picks replaces the blocks `depth` chose.
          this.rangeChosen = true;
          this.depths = undefined;
        }
        if ("page_size" in changes && !("page" in changes))
          this.set({ page: pageOfItem(this.shownStart, this.get("page_size")) });
        this.recompute();
      } else if ("image" in changes || "opacity" in changes) this.png.schedule();
    });
    this.on("reject", ({ rejections }) => this.set({ view_error: refusal(rejections, this.state()) }));
    this.on("custom", ({ content }) => this.onViewMessage(content));
    this.on("close", () => {
      this.open = false;
      this.generation++;
      this.warming?.abort(new CancelledError("widget closed"));
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

  /**
   * Stops the running work, a model's download or conversion included; status becomes `ready`
   * with the last frame, else `idle`. {@link ExplorerWidget.idle} then resolves once the stopped
   * work has settled (a stopped conversion leaves no files behind).
   */
  cancel(): void {
    if (!this.open) return;
    this.generation++;
    this.controller?.abort(new CancelledError("cancelled"));
    this.controller = undefined;
    this.warming?.abort(new CancelledError("cancelled"));
    const stopped = this.engine.cancelFeatures();
    this.running = Promise.all([this.running, stopped]).then(() => undefined);
    this.set({ status: this.get("frame") === null ? { kind: "idle" } : { kind: "ready" } });
  }

  /** Publishes the widget's display (with a static PNG once a frame exists); later frames update it. */
  display(): void {
    requireKernel().display(this[MIME_BUNDLE](), { displayId: this.modelId, update: this.displayed });
    this.displayed = true;
  }

  /**
   * Saves the current view (frame, image choice, opacity) through the figure renderer as PNG or SVG,
   * chosen by the extension of `path`; makes the folder and writes atomically. Without a frame yet
   * it waits for the running computation ({@link ExplorerWidget.idle}). Throws an InputError for
   * another extension or an unwritable path, a NoFrameError when there is still no frame.
   * @returns the absolute path written
   * @example
   * ```ts
   * const w = explore({ model: "dinov2-small", images: ["photos/"], k: 6 });
   * await w.export("view.svg"); // "/home/me/view.svg": title "dinov2-small · tokens · K=6"
   * ```
   */
  async export(path: string): Promise<string> {
    const format = exportFormatOf(path);
    const frame = await this.exportFrame();
    return writeExport(path, await this.render(frame, format));
  }

  /** The widget view, plus `image/png` of the current view when a frame exists. */
  override [MIME_BUNDLE](): MimeBundle {
    const bundle = super[MIME_BUNDLE]();
    return this.png.current === undefined
      ? bundle
      : { ...bundle, "image/png": this.png.current.toString("base64") };
  }

  /** Starts a computation from the current controls; aborts the one running. */
  private recompute(): void {
    this.warming?.abort(new CancelledError("superseded by a newer request"));
    this.controller?.abort(new CancelledError("superseded by a newer request"));
    const controller = new AbortController();
    // Every k-means fit of the run listens to the signal: 12 layers × 3 models exceed Node's warning level of 10.
    setMaxListeners(256, controller.signal);
    this.controller = controller;
    const generation = ++this.generation;
    const current = () => generation === this.generation;
    let request: ExplorerRequest;
    try {
      request = requestOf(this.state(), this.rangeChosen ? undefined : (this.depths ?? "all"));
    } catch (error) {
      this.set({ status: { kind: "error", message: message(error) } });
      return;
    }
    const progress = throttledProgress((status) => {
      if (current()) this.set({ status });
    });
    this.running = (async () => {
      try {
        // A quick frame first when the setting is new; its refined frame follows, then the other Ks.
        // A cold start shows its first layers while the others are clustered.
        const quick = await this.engine.compute(
          { ...request, provisional: true },
          controller.signal,
          progress,
          (partial) => {
            if (current()) this.publish(partial);
          },
        );
        if (!current()) return;
        this.publish(quick);
        if (quick.frame.provisional === true) {
          // At rest: while the slider moves, each change aborts this wait, and the browser draws the
          // quick frame without k-means threads beside it on the cores.
          await delay(REFINE_DELAY_MS, controller.signal);
          const refined = await this.engine.compute(request, controller.signal, () => undefined);
          if (!current()) return;
          this.publish(refined);
        }
        if (this.precompute) this.warming = precomputeIdle(this.engine, request);
      } catch (error) {
        if (!current() || error instanceof CancelledError) return;
        this.set({ status: { kind: "error", message: message(error) } });
      }
    })();
  }

  /** Shows a computed frame, with what changed beside it (page, names, layer bounds). */
  private publish(result: ExplorerResult): void {
    this.views = result.views;
    this.shownStart = result.page.start;
    this.set(resultUpdate(result, this.state(), { imageChosen: this.imageChosen }));
    this.png.schedule();
  }

  /** `frame` drawn as the view shows it (image choice, opacity), in `format`. */
  private render(frame: ExplorerFrame, format: ExportFormat): Promise<Buffer> {
    const imageNames = this.get("image_names");
    const image = checkImage(this.get("image"), imageNames.length);
    return renderFrame(frame, this.views, { image, opacity: this.get("opacity"), imageNames, format });
  }

  /** The frame to export: the current refined one, else the one the running computation ends with. */
  private async exportFrame(): Promise<ExplorerFrame> {
    if (this.get("frame")?.provisional !== false) await this.idle(); // none yet, or not refined yet
    const frame = this.get("frame");
    if (frame !== null) return frame;
    const status = this.get("status");
    const state = status.kind === "error" ? `error: ${status.message}` : status.kind;
    throw new NoFrameError(
      `nothing to export: the explorer has no frame (status ${state}); fix the error or change a control, then export again`,
    );
  }

  /**
   * Handles the view's custom messages. Nothing may throw out of here (it would reach the comm
   * layer): a malformed export request is answered with its error, unknown actions are ignored.
   */
  private onViewMessage(content: unknown): void {
    let request: ExplorerViewMessage | undefined;
    try {
      request = readViewMessage(content);
    } catch (error) {
      this.reply({ action: "export", error: message(error) });
      return;
    }
    if (request?.action === "cancel") this.cancel();
    else if (request?.action === "export") void this.answerExport(request.format);
  }

  /** Renders the export the view asked for and sends it as one binary buffer, or why it failed. */
  private async answerExport(format: ExportFormat): Promise<void> {
    try {
      const frame = await this.exportFrame();
      const bytes = await this.render(frame, format);
      this.reply({ action: "export", format, filename: exportFilename(frame, format) }, [bytes]);
    } catch (error) {
      this.reply({ action: "export", error: message(error) });
    }
  }

  /** Sends a custom message to the view, unless the widget closed while the reply was rendered. */
  private reply(content: ExplorerKernelMessage, buffers: Uint8Array[] = []): void {
    if (this.open) this.send(content, buffers);
  }
}

/**
 * Opens the explorer for one to three models over a set of images and displays it. Returns at
 * once; features, k-means and metrics run in the background (`status` shows progress), and the view's
 * controls recompute from the stage they affect; while idle, the other Ks are precomputed
 * (`precompute: false` turns that off). The display also carries a static `image/png` of the
 * current view (refreshed after 3 s of rest) for viewers without a kernel. Assign the result
 * (`const w = explore(…)`): a bare `explore(…)` as the cell's value shows a second, synced view.
 * @example
 * ```ts
 * import { explore } from "seglens";
 * const w = explore({ model: "dinov2-small", choices: ["dino-vits16"], images: ["photos/"], k: 6, rep: "k" });
 * await w.idle(); // optional: wait for the first frame
 * w.get("frame")?.labels.shape; // [1, 12, images of the page (≤ 12), 16, 16]
 * ```
 */
export function explore(options: ExploreOptions): ExplorerWidget {
  const widget = new ExplorerWidget(options);
  widget.display();
  return widget;
}
