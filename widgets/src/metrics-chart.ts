import type { PlotlyTrace } from "plotly.js-dist-min";
import type { LayerMetrics } from "../../src/explorer/explorer-state";
import { PALETTE_HEX } from "../../src/render/palette";
import type { DecodedFrame } from "./binary";
import { h, modelLabel } from "./dom";
import { columnHead } from "./panel-labels";

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

/**
 * Traces of `frame`: one per (model, metric); colour = metric, dash = model. x is the column's
 * first-model block; the hover says each model's own block.
 */
export function metricTraces(frame: DecodedFrame): PlotlyTrace[] {
  return frame.models.flatMap((model, m) =>
    METRICS.map(({ key, name }, i) => ({
      x: frame.layers,
      y: (frame.metrics[m] ?? []).map((entry) => entry[key]),
      customdata: frame.layers.map((layer, l) => frame.model_layers?.[m]?.[l] ?? layer),
      hovertemplate: `block %{customdata}: %{y:.3f}<extra>${name}</extra>`,
      name: frame.models.length > 1 ? `${name} · ${modelLabel(model)}` : name,
      type: "scatter" as const,
      mode: "lines+markers" as const,
      line: { color: PALETTE_HEX[i % PALETTE_HEX.length] as string, dash: DASHES[m % DASHES.length] },
    })),
  );
}

/**
 * The y-axis range: at least −0.1..1.05 (the scores' usual span, so charts compare at a glance),
 * widened to show every value — chance-corrected scores go below 0.
 */
export function metricRange(frame: DecodedFrame): [low: number, high: number] {
  const values = frame.metrics.flat().flatMap((entry) => METRICS.map(({ key }) => entry[key]));
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const low = Math.min(-0.1, ...finite.map((v) => v - 0.05));
  const high = Math.max(1.05, ...finite.map((v) => v + 0.05));
  return [low, high];
}

/** Legend rows below the plot: three entries a row (one model's metrics). */
const legendRows = (frame: DecodedFrame) => Math.ceil((frame.models.length * METRICS.length) / 3);

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
          // The legend sits below the axis title, in a margin sized for its rows: placed at a
          // fraction of the plot's height (as before), it ran into the title.
          height: 230 + 22 * legendRows(frame),
          margin: { l: 44, r: 10, t: 28, b: 56 + 22 * legendRows(frame) },
          title: { text: `${frame.rep}, K = ${frame.k}`, font: { size: 13 } },
          paper_bgcolor: "rgba(0,0,0,0)",
          plot_bgcolor: "rgba(0,0,0,0)",
          font: { color: font, size: 11 },
          xaxis: {
            title: { text: "block", standoff: 4 },
            tickvals: frame.layers,
            ticktext: frame.layers.map((_, l) => columnHead(frame, l)),
            gridcolor: grid,
            automargin: false,
          },
          yaxis: { range: metricRange(frame), gridcolor: grid, zerolinecolor: font, zerolinewidth: 1 },
          legend: { orientation: "h", x: 0, xanchor: "left", y: 0, yanchor: "bottom", yref: "container" },
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
