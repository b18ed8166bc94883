import type { PlotlyTrace } from "plotly.js-dist-min";
import type { LayerMetrics } from "../../src/explorer/explorer-state";
import { PALETTE_HEX } from "../../src/render/palette";
import type { DecodedFrame } from "./binary";
import { h } from "./dom";

/** The PB/LC/BA-per-layer chart. Plotly, the bulk of the bundle, loads on the first frame, not at import. */
export interface MetricsChart {
  readonly element: HTMLElement;
  /** Draws `frame`'s metrics (resolves when drawn); `null` clears the chart. */
  update(frame: DecodedFrame | null): Promise<void>;
  /**
   * Draws the last frame again, re-reading the theme's colours and the container's width: call it
   * once the element is in the document (a detached element has no CSS variables) and on a theme change.
   */
  redraw(): Promise<void>;
  /** Purges the plotly chart; later updates do nothing. */
  dispose(): void;
}

const METRICS: readonly { key: keyof LayerMetrics; name: string }[] = [
  { key: "pb", name: "PB positional bias" },
  { key: "lc", name: "LC locality" },
  { key: "ba", name: "BA border artifact" },
];
const DASHES = ["solid", "dash", "dot"] as const;

type Plotly = typeof import("plotly.js-dist-min");

/** Traces of `frame`: one per (model, metric); colour = metric, dash = model. */
export function metricTraces(frame: DecodedFrame): PlotlyTrace[] {
  return frame.models.flatMap((model, m) =>
    METRICS.map(({ key, name }, i) => ({
      x: frame.layers,
      y: (frame.metrics[m] ?? []).map((entry) => entry[key]),
      name: frame.models.length > 1 ? `${name} · ${model}` : name,
      type: "scatter" as const,
      mode: "lines+markers" as const,
      line: { color: PALETTE_HEX[i % PALETTE_HEX.length] as string, dash: DASHES[m % DASHES.length] },
    })),
  );
}

function themeColour(element: HTMLElement, variable: string, fallback: string): string {
  return getComputedStyle(element).getPropertyValue(variable).trim() || fallback;
}

/** Builds the chart container; the chart itself appears with the first frame. */
export function createMetricsChart(doc: Document): MetricsChart {
  const element = h(doc, "div", { class: "seglens-chart", role: "img", "aria-label": "Metrics per layer" });
  let plotly: Promise<Plotly> | null = null;
  let loaded: Plotly | null = null;
  let drawn = false;
  let disposed = false;
  let last: DecodedFrame | null = null;

  return {
    element,
    redraw() {
      return last && element.isConnected ? this.update(last) : Promise.resolve();
    },
    async update(frame) {
      if (disposed) return;
      last = frame;
      if (!frame) {
        if (drawn) loaded?.purge(element);
        drawn = false;
        return;
      }
      plotly ??= import("plotly.js-dist-min");
      const Plotly = await plotly;
      loaded = Plotly;
      if (disposed) return; // removed while plotly loaded
      const font = themeColour(element, "--jp-ui-font-color1", "#222");
      const grid = themeColour(element, "--jp-border-color2", "#ddd");
      await Plotly.react(
        element,
        metricTraces(frame),
        {
          margin: { l: 40, r: 10, t: 28, b: 36 },
          title: { text: `${frame.rep}, K = ${frame.k}`, font: { size: 13 } },
          paper_bgcolor: "rgba(0,0,0,0)",
          plot_bgcolor: "rgba(0,0,0,0)",
          font: { color: font, size: 11 },
          xaxis: { title: { text: "layer" }, dtick: 1, gridcolor: grid },
          yaxis: { range: [-0.1, 1.05], gridcolor: grid, zerolinecolor: grid },
          legend: { orientation: "h", y: -0.25 },
        },
        { displayModeBar: false, responsive: true },
      );
      drawn = true;
      if (disposed) Plotly.purge(element); // removed while drawing
    },
    dispose() {
      disposed = true;
      if (drawn) loaded?.purge(element);
      drawn = false;
    },
  };
}
