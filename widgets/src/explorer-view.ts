import { DOMWidgetView } from "@jupyter-widgets/base";
import type { Message } from "@lumino/messaging";
import type { ExplorerViewMessage } from "../../src/explorer/explorer-state";
import { type ControlPatch, type Controls, createControls } from "./controls";
import { createExportControl, type ExportControl } from "./export-control";
import { createImageSwitch, IMAGE_KEYS, type ImageSwitch, ownsKeys } from "./image-switch";
import { createLayerPanels, type LayerPanels } from "./layer-panels";
import { createMetricsChart, type MetricsChart } from "./metrics-chart";
import { createPageControl, type PageControl } from "./page-control";
import { readState } from "./read-state";
import { createStatusBar, type StatusBar } from "./status-bar";
import { ensureStyles } from "./styles";

interface Parts {
  controls: Controls;
  pager: PageControl;
  switcher: ImageSwitch;
  exporter: ExportControl;
  status: StatusBar;
  panels: LayerPanels;
  chart: MetricsChart;
}

/** The elements keyboard focus can rest on, in document order (the same in every view of a state). */
const FOCUSABLE = "input, select, button";
/** Per model: the position among FOCUSABLE of the control that had focus in one of its views. */
const focusedControl = new WeakMap<object, number>();

/** Tags browser console messages, like anywidget's `[anywidget]`. */
const TAG = "[seglens]";

/**
 * The explorer: controls, the pager (which images of the set are shown), a progress bar with
 * cancel, one panel per layer with the label maps (or a lens's colours) over the page's images, a
 * cluster legend (or the lens's), and the PB/LC/BA chart (clusters only). Control changes set the
 * model and sync it; the kernel answers with a new `status` and `frame`.
 */
export class ExplorerView extends DOMWidgetView {
  // Set in render(), not as field initializers: Backbone runs initialize() from its constructor.
  private abort?: AbortController;
  private parts?: Parts;
  private highlight: number | null = null;
  private chartFrame: unknown = undefined;
  /** The last frame drawn, whose `seglens:frame-drawn` mark is set. */
  private drawnFrame: unknown = undefined;
  /** The last export's error, kept in the error box until the next export succeeds. */
  private exportError: string | null = null;
  private attached = false;

  override render(): void {
    const abort = new AbortController();
    this.abort = abort;
    const doc = this.el.ownerDocument;
    ensureStyles(doc);
    this.el.classList.add("seglens-explorer");
    // Keys pressed in the explorer (arrows on the K slider, digits) are the controls', not the
    // notebook's: JupyterLab 4.6 prevents ArrowRight on a focused range input at the document
    // (data-lm-suppress-shortcuts did not stop it). ipywidgets' own text views stop keydown likewise.
    this.el.addEventListener("keydown", (event) => this.onKey(event), { signal: abort.signal });
    // A display update makes JupyterLab replace this view with a new one (see orphaned()), which
    // would drop keyboard focus from the K slider between two key presses: remember which control
    // had it, and forget only when focus really leaves (the element is still in the page then).
    this.el.addEventListener(
      "focusin",
      (event) => {
        const at = [...this.el.querySelectorAll(FOCUSABLE)].indexOf(event.target as Element);
        if (at >= 0) focusedControl.set(this.model, at);
      },
      { signal: abort.signal },
    );
    this.el.addEventListener(
      "focusout",
      () =>
        queueMicrotask(() => {
          if (this.el.isConnected && !this.el.contains(doc.activeElement)) focusedControl.delete(this.model);
        }),
      { signal: abort.signal },
    );
    const parts: Parts = {
      controls: createControls(doc, (patch, commit) => this.onControl(patch, commit), abort.signal),
      pager: createPageControl(doc, (patch, commit) => this.onControl(patch, commit), abort.signal),
      switcher: createImageSwitch(doc, (patch, commit) => this.onControl(patch, commit), abort.signal),
      exporter: createExportControl(doc, {
        send: (message) => this.send(message),
        onError: (message) => {
          this.exportError = message;
          this.refresh();
        },
        signal: abort.signal,
      }),
      status: createStatusBar(
        doc,
        () => this.send({ action: "cancel" } satisfies ExplorerViewMessage),
        abort.signal,
      ),
      panels: createLayerPanels(doc, abort.signal, (label) => this.onHighlight(label)),
      chart: createMetricsChart(doc),
    };
    this.parts = parts;
    this.el.replaceChildren(
      parts.controls.element,
      parts.pager.element,
      parts.switcher.element,
      parts.exporter.element,
      ...parts.status.elements,
      parts.panels.element,
      parts.chart.element,
    );
    this.listenTo(this.model, "change", () => this.refresh());
    // Kernel answers (ExplorerKernelMessage); the buffers are DataViews in JupyterLab.
    this.listenTo(this.model, "msg:custom", (content: unknown, buffers?: unknown[]) =>
      parts.exporter.receive(content, buffers ?? []),
    );
    // JupyterLab switches themes by attributes on <body>; plotly needs colours, not CSS variables.
    const themes = new MutationObserver(() => this.redrawChart());
    themes.observe(doc.body, {
      attributes: true,
      attributeFilter: ["data-jp-theme-name", "data-jp-theme-light"],
    });
    abort.signal.addEventListener("abort", () => themes.disconnect());
    this.refresh();
  }

  override processLuminoMessage(msg: Message): void {
    super.processLuminoMessage(msg);
    if (msg.type === "after-attach") {
      this.attached = true;
      void this.retireOrphans();
      this.restoreFocus();
    }
    // Rendered detached, the chart could read neither theme colours nor a width: draw it again.
    if (msg.type === "after-attach" || msg.type === "after-show") this.redrawChart();
  }

  private redrawChart(): void {
    this.parts?.chart.redraw().catch((error: unknown) => this.showError("metrics chart", error));
  }

  override remove(): this {
    this.retire();
    return super.remove();
  }

  /** Gives focus back to the control that had it in the view this one replaced. */
  private restoreFocus(): void {
    const at = focusedControl.get(this.model);
    const active = this.el.ownerDocument.activeElement;
    if (at === undefined || (active !== null && active !== this.el.ownerDocument.body)) return;
    (this.el.querySelectorAll(FOCUSABLE)[at] as HTMLElement | undefined)?.focus();
  }

  /** Retires this model's other views that a re-render left behind (see {@link orphaned}). */
  private async retireOrphans(): Promise<void> {
    for (const pending of Object.values(this.model.views ?? {})) {
      const view = await pending;
      if (view !== this && view instanceof ExplorerView) view.orphaned();
    }
  }

  /** Stops listening and drops the DOM: what `remove()` does, minus disposing the Lumino widget. */
  private retire(): void {
    this.abort?.abort();
    this.parts?.chart.dispose();
    this.parts = undefined;
    this.stopListening(this.model);
  }

  /**
   * Whether this view was left behind by a re-render. The kernel updates the display (its static
   * PNG) after frames; JupyterLab then renders the output again, and jupyterlab_widgets' renderer
   * adds a new view after emptying its node, without removing the old one — which would keep
   * repainting its detached canvases on every change (each costing as much as the live view).
   * Detached from its parent after having been attached is that case: windowed notebooks detach
   * whole cells, which keeps the view inside its output node.
   */
  private orphaned(): boolean {
    if (!this.attached || this.el.parentNode !== null) return false;
    this.retire();
    this.el.replaceChildren();
    return true;
  }

  /** Image keys (IMAGE_KEYS) outside inputs; every key stays in the explorer (see render). */
  private onKey(event: KeyboardEvent): void {
    event.stopPropagation();
    const action = IMAGE_KEYS[event.key];
    if (!action || ownsKeys(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault(); // the arrows would scroll the panel area
    if (action === "toggle") this.parts?.switcher.toggle();
    else this.parts?.switcher.step(action === "next" ? 1 : -1);
  }

  private onControl(patch: ControlPatch, commit: boolean): void {
    this.model.set(patch);
    if (commit) this.model.save_changes();
  }

  private onHighlight(label: number | null): void {
    if (label === this.highlight) return;
    this.highlight = label;
    this.refresh();
  }

  /** Shows the model's state; a failure is shown in the widget, never only in the console. */
  private refresh(): void {
    const parts = this.parts;
    if (!parts || this.orphaned()) return;
    try {
      const { state, problems } = readState((key) => this.model.get(key));
      const frame = state.frame?.kind === "ok" ? state.frame.value : null;
      const images = state.images?.kind === "ok" ? state.images.value : null;
      if (state.frame?.kind === "invalid") problems.push(`frame not shown: ${state.frame.message}`);
      if (state.images?.kind === "invalid") problems.push(`images not shown: ${state.images.message}`);
      if (state.view_error !== null) problems.push(state.view_error);
      if (this.exportError !== null) problems.push(`export failed: ${this.exportError}`);
      if (this.highlight !== null && (!frame?.labels || this.highlight >= frame.k)) this.highlight = null;
      parts.controls.update(state);
      parts.pager.update(state);
      parts.switcher.update(state);
      const provisional = frame?.provisional === true;
      this.el.classList.toggle("seglens-provisional", provisional);
      parts.status.update(state.status, problems, provisional);
      parts.panels.update(
        frame && {
          frame,
          images,
          imageIndices: state.page_images,
          image: state.image,
          imageNames: state.image_names,
          opacity: state.opacity,
          highlight: this.highlight,
        },
      );
      if (frame !== null && frame !== this.drawnFrame) {
        this.drawnFrame = frame;
        markPainted({ k: frame.k, provisional: frame.provisional, layers_ready: frame.layers_ready });
      }
      // A provisional frame or one with layers still to come is soon replaced: its chart would
      // only keep the page busy (plotly's load, its redraw) while the next frame arrives.
      const final = frame === null || (!frame.provisional && frame.layers_ready === frame.layers.length);
      // The scores are the clusters'; a PCA or attention frame has none (its legend says what it shows).
      const scored = frame === null || frame.labels !== null;
      parts.chart.element.hidden = !scored;
      if (frame !== this.chartFrame && final && scored) {
        this.chartFrame = frame;
        // The maps first: plotly's redraw (~90 ms for 12 layers in headless Chromium) waits until
        // the browser is idle after painting them, so it does not delay the frame the user waits for.
        const update = () => {
          if (this.parts !== parts || this.chartFrame !== frame) return; // superseded or removed
          parts.chart.update(frame).catch((error: unknown) => this.showError("metrics chart", error));
        };
        requestAnimationFrame(() => requestIdleCallback(update, { timeout: 500 }));
      }
    } catch (error) {
      this.showError("explorer", error);
    }
  }

  private showError(what: string, error: unknown): void {
    console.error(TAG, what, error);
    this.parts?.status.update({ kind: "error", message: `seglens ${what}: ${String(error)}` }, []);
  }
}

/**
 * Marks `seglens:frame-drawn` (the canvases are drawn) and, once the browser has painted them (a
 * task after the next animation frame), `seglens:frame-painted`; a benchmark reads them with
 * `performance.getEntriesByName`, after the decoder's marks (binary.ts).
 */
function markPainted(detail: Record<string, unknown>): void {
  performance.mark("seglens:frame-drawn", { detail });
  requestAnimationFrame(() => setTimeout(() => performance.mark("seglens:frame-painted", { detail }), 0));
}
